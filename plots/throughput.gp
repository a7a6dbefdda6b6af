# Throughput and refusals per metrics interval from timeseries.csv: offered and completed
# requests/s with the number of users (top), rejected and failed requests/s (bottom, own scale,
# so that a few refusals stay visible next to a large throughput).
# Run:  gnuplot -e "dir='out/web-db'; out='throughput.png'" plots/throughput.gp
#  or:  gnuplot -c plots/throughput.gp DIR OUT [png|svg] [NAME] [WARMUP_S] [SERIES_CSV]
# Variables (or the arguments in that order): dir: the run's output folder; out: the image to
# write; term: 'png' (pngcairo when built in, else png) or 'svg'; name: the scenario name for
# the title; warmup: the warm-up length in s, shaded; series: the CSV file to read instead of
# DIR/timeseries.csv (clustersim passes a min/max-decimated copy of a long one).
# Empty CSV fields are intervals without a value: the line breaks there.
if (!exists("dir")) dir = ARGC >= 1 ? ARG1 : '.'
if (!exists("out")) out = ARGC >= 2 ? ARG2 : 'throughput.png'
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
set xlabel sprintf('simulated time (%s)%s', tunit, warmup > 0 ? '; shaded: warm-up' : '')
set xrange [0:tmax / tscale]
if (warmup > 0) {
    set object 1 rect from 0, graph 0 to warmup / tscale, graph 1 behind \
        fc rgb '#eeeeee' fs solid 1.0 noborder
}

iu = idx('users'); io = idx('offered_rps'); ic = idx('completed_rps')
ir = idx('rejected_rps'); iff = idx('failed_rps')
# Fixed margins keep the two panels' time axes aligned.
set lmargin at screen 0.08
set rmargin at screen 0.9
set multiplot title ttl('Throughput and refusals per interval') font ',13'

set origin 0, 0.36
set size 1, 0.58
set tmargin 0
set bmargin 1.5
set format x ''
unset xlabel
set ylabel 'requests/s'
if (hi[io] <= 0 && hi[ic] <= 0) { set yrange [0:1] } else { set yrange [0:*] }
# Users on the right axis, with headroom so that a constant population stays off the frame;
# a workload without users (a fixed rate) draws none.
if (hi[iu] > 0) {
    set y2label 'users' tc rgb '#7f7f7f'
    set y2tics nomirror out tc rgb '#7f7f7f'
    set y2range [0:hi[iu] * 1.08]
}
set format y '%g'
set key top left opaque box lc rgb '#cccccc' samplen 3
set style fill transparent solid 0.25 noborder
if (hi[iu] > 0) {
    plot f using (column(1) / tscale):(column(io)) \
            with filledcurves y1=0 lc rgb '#1f77b4' title 'offered', \
         '' using (column(1) / tscale):(column(ic)) \
            with lines lw 2 lc rgb '#2ca02c' title 'completed', \
         '' using (column(1) / tscale):(column(iu)) axes x1y2 \
            with lines lw 1.5 dt 2 lc rgb '#7f7f7f' title 'users'
} else {
    plot f using (column(1) / tscale):(column(io)) \
            with filledcurves y1=0 lc rgb '#1f77b4' title 'offered', \
         '' using (column(1) / tscale):(column(ic)) \
            with lines lw 2 lc rgb '#2ca02c' title 'completed'
}

set origin 0, 0
set size 1, 0.36
set tmargin 0.5
set bmargin 3.5
unset y2label
unset y2tics
set format x '%g'
set xlabel sprintf('simulated time (%s)%s', tunit, warmup > 0 ? '; shaded: warm-up' : '')
set ylabel 'refused (requests/s)'
# Nothing refused draws flat zeros; give them a range rather than an empty one.
if (hi[ir] <= 0 && hi[iff] <= 0) { set yrange [0:1] } else { set yrange [0:*] }
plot f using (column(1) / tscale):(column(ir)) with lines lw 2 lc rgb '#ff7f0e' title 'rejected', \
     '' using (column(1) / tscale):(column(iff)) with lines lw 2 lc rgb '#d62728' title 'failed'
unset multiplot
