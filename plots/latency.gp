# End-to-end latency per metrics interval (p50 and p99) from timeseries.csv.
# Run:  gnuplot -e "dir='out/web-db'; out='latency.png'" plots/latency.gp
#  or:  gnuplot -c plots/latency.gp DIR OUT [png|svg] [NAME] [WARMUP_S] [SERIES_CSV]
# Variables (or the arguments in that order): dir: the run's output folder; out: the image to
# write; term: 'png' (pngcairo when built in, else png) or 'svg'; name: the scenario name for
# the title; warmup: the warm-up length in s, shaded; series: the CSV file to read instead of
# DIR/timeseries.csv (clustersim passes a min/max-decimated copy of a long one).
# Empty CSV fields are intervals without a value: the line breaks there.
if (!exists("dir")) dir = ARGC >= 1 ? ARG1 : '.'
if (!exists("out")) out = ARGC >= 2 ? ARG2 : 'latency.png'
if (!exists("term")) term = ARGC >= 3 ? ARG3 : 'png'
if (!exists("name")) name = ARGC >= 4 ? ARG4 : ''
if (!exists("warmup")) warmup = ARGC >= 5 && ARG5 ne '' ? ARG5 + 0 : 0
if (!exists("series")) series = ARGC >= 6 && ARG6 ne '' ? ARG6 : dir . '/timeseries.csv'
ttl(s) = name eq '' ? s : name . ': ' . s

set datafile separator ','
set datafile missing ''
set datafile columnheaders
f = series

# Column names and, per column, the number of values and their range.
stats f using 1 nooutput
ncol = STATS_columns
tmax = STATS_max
names = ''
stats f every ::0::0 using (sum [i=1:ncol] (names = names . ' ' . columnhead(i), 0)) nooutput
idx_from(s, i) = i > words(names) ? 0 : (word(names, i) eq s ? i : idx_from(s, i + 1))
idx(s) = idx_from(s, 1)
array nv[ncol]
array lo[ncol]
array hi[ncol]
do for [i=1:ncol] { nv[i] = 0; lo[i] = 1e300; hi[i] = -1e300 }
stats f using (sum [i=1:ncol] (valid(i) ? (nv[i] = nv[i] + 1, \
    lo[i] = (column(i) > 0 && column(i) < lo[i] ? column(i) : lo[i]), \
    hi[i] = (column(i) > hi[i] ? column(i) : hi[i]), 0) : 0)) nooutput

# Long runs read better in minutes or hours.
tscale = 1.0; tunit = 's'
if (tmax > 1200) { tscale = 60.0; tunit = 'min' }
if (tmax > 3 * 3600) { tscale = 3600.0; tunit = 'h' }

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
set grid xtics ytics lc rgb '#d8d8d8' lw 1 dt solid
set title font ',13'
set key at screen 0.5, screen 0.015 center bottom horizontal samplen 3 width 2
set bmargin 5
set xlabel sprintf('simulated time (%s)%s', tunit, warmup > 0 ? '; shaded: warm-up' : '')
set xrange [0:tmax / tscale]
if (warmup > 0) {
    set object 1 rect from 0, graph 0 to warmup / tscale, graph 1 behind \
        fc rgb '#eeeeee' fs solid 1.0 noborder
}

i50 = idx('p50_ms'); i99 = idx('p99_ms')
set title ttl('End-to-end latency per interval')
set ylabel 'latency (ms)'
if (nv[i50] + nv[i99] == 0) {
    set yrange [0:1]
    set label 2 'no request completed in any interval' at graph 0.5, graph 0.5 center \
        tc rgb '#888888'
} else {
    # A log scale once the tail is far above the median, so both stay readable.
    ymin = lo[i50] < lo[i99] ? lo[i50] : lo[i99]
    ymax = hi[i50] > hi[i99] ? hi[i50] : hi[i99]
    if (ymin < 1e300 && ymax / ymin > 30) {
        set logscale y
        set format y '%g'
    } else {
        set yrange [0:*]
    }
}
plot f using (column(1) / tscale):(column(i50)) with lines lw 2 lc rgb '#1f77b4' title 'p50', \
     '' using (column(1) / tscale):(column(i99)) with lines lw 2 lc rgb '#d62728' title 'p99'
