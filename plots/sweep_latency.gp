# A sweep's end-to-end latency (mean, p50, p99, p99.9: four panels) against its first parameter,
# one line per combination of the others, from sweep.csv, with 95% error bars when the sweep
# has replications (none for p99.9: a run's p99.9 is too noisy for a confidence interval).
# Run:  gnuplot -c plots/sweep_latency.gp DIR OUT [png|svg] [NAME] [NPARAMS] [CI] [XMODE]
# (arguments as in sweep_common.gp; clustersim reads NPARAMS and CI from sweep.json).
plot = 'sweep_latency'; H = 800
# load resets ARGC: the arguments travel to sweep_common.gp in A.
array A[7]
do for [i=1:7] { A[i] = i <= ARGC ? value('ARG' . i) : '' }
here_ = ARG0; i_ = strlen(here_)
while (i_ > 0 && here_[i_:i_] ne '/') { i_ = i_ - 1 }
here_ = i_ > 0 ? here_[1:i_] : ''
load here_ . 'sweep_common.gp'
set multiplot title ttl('End-to-end latency against ' . xlabel . err_note) font ',13'
# Two by two panels in the left part of the image.
pw_ = (rm_ - 0.04) / 2
do for [p=0:3] {
    col = p % 2; row = p / 2
    set lmargin at screen 0.09 + col * pw_
    set rmargin at screen 0.02 + col * pw_ + pw_ - 0.01
    set tmargin at screen 0.92 - row * 0.45
    set bmargin at screen 0.92 - row * 0.45 - 0.36
    if (p == 0) { call here_ . 'sweep_panel.gp' 'mean_ms' 'mean (ms)' '1' '1' '1' }
    if (p == 1) { call here_ . 'sweep_panel.gp' 'p50_ms' 'p50 (ms)' '1' '1' '0' }
    if (p == 2) { call here_ . 'sweep_panel.gp' 'p99_ms' 'p99 (ms)' '1' '1' '0' }
    if (p == 3) { call here_ . 'sweep_panel.gp' 'p999_ms' 'p99.9 (ms)' '1' '0' '0' }
}
unset multiplot
