# A sweep's throughput against its first parameter, one line per combination of the others,
# from sweep.csv, with 95% error bars when the sweep has replications.
# Run:  gnuplot -c plots/sweep_throughput.gp DIR OUT [png|svg] [NAME] [NPARAMS] [CI] [XMODE]
# (arguments as in sweep_common.gp; clustersim reads NPARAMS and CI from sweep.json).
plot = 'sweep_throughput'; H = 600
# load resets ARGC: the arguments travel to sweep_common.gp in A.
array A[7]
do for [i=1:7] { A[i] = i <= ARGC ? value('ARG' . i) : '' }
here_ = ARG0; i_ = strlen(here_)
while (i_ > 0 && here_[i_:i_] ne '/') { i_ = i_ - 1 }
here_ = i_ > 0 ? here_[1:i_] : ''
load here_ . 'sweep_common.gp'
set lmargin at screen 0.08
set rmargin at screen rm_
set title ttl('Throughput against ' . xlabel) font ',13'
set label 98 'completed requests per second' . err_note at screen 0.08, screen 0.02 left \
    tc rgb '#505866'
call here_ . 'sweep_panel.gp' 'throughput_rps' 'throughput (req/s)' '1' '1' '1'
