# A sweep's rejected and failed fractions (failed includes timed out) against its first
# parameter, in percent of the arrived requests, one line per combination of the others, from
# sweep.csv (two panels; the CSV has no confidence interval for them).
# Run:  gnuplot -c plots/sweep_errors.gp DIR OUT [png|svg] [NAME] [NPARAMS] [CI] [XMODE]
# (arguments as in sweep_common.gp; clustersim reads NPARAMS and CI from sweep.json).
plot = 'sweep_errors'; H = 500
# load resets ARGC: the arguments travel to sweep_common.gp in A.
array A[7]
do for [i=1:7] { A[i] = i <= ARGC ? value('ARG' . i) : '' }
here_ = ARG0; i_ = strlen(here_)
while (i_ > 0 && here_[i_:i_] ne '/') { i_ = i_ - 1 }
here_ = i_ > 0 ? here_[1:i_] : ''
load here_ . 'sweep_common.gp'
set multiplot title ttl('Refused requests against ' . xlabel) font ',13'
pw_ = (rm_ - 0.04) / 2
do for [p=0:1] {
    set lmargin at screen 0.09 + p * pw_
    set rmargin at screen 0.02 + p * pw_ + pw_ - 0.01
    set tmargin at screen 0.88
    set bmargin at screen 0.14
    if (p == 0) { call here_ . 'sweep_panel.gp' 'rejected_frac' 'rejected (% of arrived)' '100' '0' '1' }
    if (p == 1) { call here_ . 'sweep_panel.gp' 'failed_frac' 'failed or timed out (% of arrived)' '100' '0' '0' }
}
unset multiplot
