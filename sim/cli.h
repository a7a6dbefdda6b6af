/* The command-line front: parses the command and its flags and runs it. Returns the exit
 * status: 0 done, 1 failed at run time, 2 bad usage or invalid scenario. */
#ifndef SIM_CLI_H
#define SIM_CLI_H

int cli_main(int argc, char **argv);

#endif
