/* The `keymove` command: how many keys change owner when a sharded node set grows or shrinks,
 * for one placement scheme or all of them. Placement only, no simulation. */
#ifndef SIM_CLI_KEYMOVE_H
#define SIM_CLI_KEYMOVE_H

/* argv[0] is the command name ("keymove"); the flags follow. Prints the JSON object (or the
 * table for --scheme all) on stdout. Returns the exit status: 0 done, 1 failed at run time
 * (memory, output), 2 bad usage (message on stderr). */
int cli_keymove(int argc, char **argv);

#endif
