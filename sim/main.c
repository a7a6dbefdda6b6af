/* clustersim's entry point: starts MPI when launched by mpirun (make MPI=1), then hands the
 * command line to the command dispatcher. */
#include "sim/cli.h"
#include "sim/mpi.h"

int main(int argc, char **argv)
{
    if (mpi_start(&argc, &argv))
        return 1;
    /* Ranks other than 0 have nothing to do in commands that do not hand out pieces. */
    if (!mpi_takes_part(argc, argv)) {
        mpi_finish();
        return 0;
    }
    int rc = cli_main(argc, argv);
    mpi_finish();
    return rc;
}
