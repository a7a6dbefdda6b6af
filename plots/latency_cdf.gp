# The end-to-end latency distribution from latency.csv (ms,count,cumulative: histogram buckets):
# the CDF on a log latency axis with p50, p90, p99 and p99.9 marked (left), and the tail, the
# fraction of requests slower than each latency, on log-log axes (right).
# Run:  gnuplot -e "dir='out/web-db'; out='latency_cdf.png'" plots/latency_cdf.gp
#  or:  gnuplot -c plots/latency_cdf.gp DIR OUT [png|svg] [NAME]
# Variables (or the arguments in that order): dir: the run's output folder; out: the image to
# write; term: 'png' (pngcairo when built in, else png) or 'svg'; name: the scenario name for
# the title. The quantiles are read off the buckets: each is the first bucket whose cumulative
# count reaches it, as precise as the histogram.
if (!exists("dir")) dir = ARGC >= 1 ? ARG1 : '.'
if (!exists("out")) out = ARGC >= 2 ? ARG2 : 'latency_cdf.png'
if (!exists("term")) term = ARGC >= 3 ? ARG3 : 'png'
if (!exists("name")) name = ARGC >= 4 ? ARG4 : ''
ttl(s) = name eq '' ? s : name . ': ' . s

set datafile separator ','
set datafile missing ''
set datafile columnheaders
f = dir . '/latency.csv'
stats f using 1 nooutput
xmin = STATS_min; xmax = STATS_max
stats f using 3 nooutput
total = STATS_max
array q[4] = [0.5, 0.9, 0.99, 0.999]
array qname[4] = ['p50', 'p90', 'p99', 'p99.9']
array qx[4]
do for [j=1:4] { qx[j] = NaN }
# qx[j] != qx[j]: still NaN, not yet reached.
stats f using (sum [j=1:4] (qx[j] != qx[j] && column(3) >= q[j] * total \
    ? (qx[j] = column(1), 0) : 0)) nooutput

W = 1000; H = 600
if (term eq 'svg') {
    set terminal svg size W, H dynamic noenhanced font 'Sans,11' background rgb 'white'
} else {
    if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
        set terminal pngcairo size W, H noenhanced font 'Sans,10' background rgb 'white'
    } else {
        set terminal png size W, H noenhanced font 'Sans,10' background rgb 'white'
    }
}
set output out

set border 3 lc rgb '#555555'
set tics nomirror out
set grid xtics ytics mxtics lc rgb '#d8d8d8' lw 1 dt solid, lc rgb '#eeeeee' lw 1 dt solid
set logscale x
set format x '%g'
# From the decade below the fastest bucket to the decade above the slowest, so that there are
# always labelled tics, even for a histogram of one bucket.
lo10 = 10 ** floor(log10(xmin)); hi10 = 10 ** ceil(log10(xmax))
set xrange [(lo10 < xmin / 1.5 ? lo10 : xmin / 1.5):(hi10 > xmax * 1.5 ? hi10 : xmax * 1.5)]
set xlabel 'end-to-end latency (ms)'
set key off
# The quantiles go in the title, where they never cover the curve.
qtext = sprintf('p50 %.4g ms,  p90 %.4g ms,  p99 %.4g ms,  p99.9 %.4g ms', \
    qx[1], qx[2], qx[3], qx[4])
set multiplot layout 1, 2 \
    title ttl(sprintf("End-to-end latency distribution (%.0f requests)\n%s", total, qtext)) \
    font ',13' margins 0.07, 0.98, 0.12, 0.85 spacing 0.08, 0

set title 'CDF' font ',11'
set ylabel 'fraction of requests at or below'
set yrange [0:1.02]
set ytics 0.1
# A quantile close to the previous labelled one (within 25% on the log axis) gets its line but
# no name, which would overprint; the box lists them all.
last = 0
do for [j=1:4] {
    set arrow j from qx[j], graph 0 to qx[j], q[j] nohead dt 2 lc rgb '#888888' back
    if (last == 0 || qx[j] > 1.25 * last) {
        set label j qname[j] at qx[j], graph 0.02 left rotate by 90 offset 1, 0 \
            tc rgb '#555555' front
        last = qx[j]
    }
}
plot f using 1:(column(3) / total) with steps lw 2 lc rgb '#1f77b4', \
     '' using 1:(column(3) / total) every ::0::0 with points pt 7 ps 0 notitle

unset arrow
unset label
set title 'Tail (1 - CDF)' font ',11'
set ylabel 'fraction of requests slower'
set logscale y
set format y '%g'
# Fixed, so that a histogram of one bucket (nothing slower than it) still draws an empty panel.
set yrange [0.5 / total:1]
set ytics autofreq
do for [j=1:4] {
    set arrow j from qx[j], graph 0 to qx[j], 1 - q[j] nohead dt 2 lc rgb '#888888' back
    set label j qname[j] at qx[j], 1 - q[j] left offset 0.6, 0.6 tc rgb '#333333' front
}
plot f using 1:(column(3) < total ? 1 - column(3) / total : NaN) with steps lw 2 lc rgb '#d62728'
unset multiplot
