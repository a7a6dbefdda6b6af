# One panel of a sweep plot (see sweep_common.gp): call with COLUMN YLABEL SCALE HASCI KEY, where
# COLUMN names a figure column of sweep.csv, SCALE multiplies its values (100: percent), HASCI is
# 1 when sweep.csv has a COLUMN_ci95 column for it (half-widths, drawn as error bars when the
# sweep has replications) and KEY is 1 for the panel that shows the legend. The y axis is
# logarithmic when the values are positive and span more than a decade.
col_ = ARG1
scale_ = ARG3 + 0
bars_ = ci && ARG4 eq '1'
set key title (ARG5 eq '1' ? key_title : '')
if (ARG5 ne '1') { unset key } else { if (G > 1) { set key } }
set ylabel ARG2
unset logscale y
set yrange [*:*]
STATS_records = 0
stats f using (column(col_) * scale_) nooutput
n_ = exists("STATS_records") ? STATS_records : 0
if (n_ > 0 && STATS_min > 0 && STATS_max > 10 * STATS_min) {
    set logscale y
    set ylabel ARG2 . ' (log scale)'
} else {
    if (n_ > 0 && STATS_min >= 0) { set yrange [0:*] }
}
if (n_ == 0) {
    set label 99 'no value at any point' at graph 0.5, graph 0.5 center tc rgb '#7a8190'
    set yrange [0:1]
} else { unset label 99 }
if (bars_) {
    plot for [k=1:G] f every G::(k - 1) \
        using (xv(0)):(column(col_) * scale_):(column(col_ . '_ci95') * scale_) \
        with yerrorlines lw 2 pt 7 ps 0.8 lc rgb colour(k) dt dash(k) title L[k]
} else {
    plot for [k=1:G] f every G::(k - 1) using (xv(0)):(column(col_) * scale_) \
        with linespoints lw 2 pt 7 ps 0.8 lc rgb colour(k) dt dash(k) title L[k]
}
