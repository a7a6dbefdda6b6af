/* clustersim's entry point: hands the command line to the command dispatcher. */
#include "sim/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
