# Autoscaling: the serving nodes of every pool that reports them (<id>.nodes columns of
# timeseries.csv) as steps (top), their utilisation (middle) and the end-to-end p99 (bottom).
# Run:  gnuplot -e "dir='out/autoscale'; out='scaling.png'" plots/scaling.gp
#  or:  gnuplot -c plots/scaling.gp DIR OUT [png|svg] [NAME] [WARMUP_S] [SERIES_CSV]
# Variables (or the arguments in that order): dir: the run's output folder; out: the image to
# write; term: 'png' (pngcairo when built in, else png) or 'svg'; name: the scenario name for
# the title; warmup: the warm-up length in s, shaded; series: the CSV file to read instead of
# DIR/timeseries.csv (clustersim passes a min/max-decimated copy of a long one).
# Empty CSV fields are intervals without a value: the line breaks there.
# Exits with status 3, writing nothing, when there is no .nodes column.
if (!exists("dir")) dir = ARGC >= 1 ? ARG1 : '.'
if (!exists("out")) out = ARGC >= 2 ? ARG2 : 'scaling.png'
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

ends(s, suf) = strlen(s) >= strlen(suf) && s[strlen(s) - strlen(suf) + 1:] eq suf
ncols = ''
do for [i=1:ncol] { if (ends(word(names, i), '.nodes')) { ncols = ncols . ' ' . i } }
if (words(ncols) == 0) { print 'scaling.gp: no <id>.nodes column in ', f; exit status 3 }
comp(k) = word(names, word(ncols, k) + 0)[1:strlen(word(names, word(ncols, k) + 0)) - 6]
ucol(k) = idx(comp(k) . '.util')
pal = '#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf'
colour(k) = word(pal, (k - 1) % 10 + 1)
dash(k) = (k - 1) / 10 + 1
nmax = 0; umax = 0
do for [k=1:words(ncols)] {
    c = word(ncols, k) + 0
    if (hi[c] > nmax) { nmax = hi[c] }
    if (ucol(k) > 0 && hi[ucol(k)] > umax) { umax = hi[ucol(k)] }
}
i99 = idx('p99_ms')

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
set xrange [0:tmax / tscale]
if (warmup > 0) {
    set object 1 rect from 0, graph 0 to warmup / tscale, graph 1 behind \
        fc rgb '#eeeeee' fs solid 1.0 noborder
}

# Fixed margins keep the three panels' time axes aligned; the legend sits to the right.
set lmargin at screen 0.08
set rmargin at screen 0.84
set key at screen 0.86, screen 0.92 left top vertical Left reverse samplen 3 \
    title 'pool' noautotitle
set multiplot title ttl('Autoscaling: serving nodes, utilisation and p99') font ',13'

set origin 0, 0.62
set size 1, 0.32
set tmargin 0
set bmargin 1
set format x ''
unset xlabel
set ylabel 'serving nodes'
set yrange [0:nmax + 1]
# Each row holds the count at the end of its interval: a change shows at the first row that
# sees it, at most one interval late, never early.
plot for [k=1:words(ncols)] f using (column(1) / tscale):(column(word(ncols, k) + 0)) \
     with steps lw 2 lc rgb colour(k) dt dash(k) title comp(k)

unset key
set origin 0, 0.34
set size 1, 0.28
set tmargin 0.5
set bmargin 1
set ylabel 'utilisation (%)'
if (umax <= 1) { set yrange [0:100] } else { set yrange [0:*] }
plot for [k=1:words(ncols)] f using (column(1) / tscale): \
         (ucol(k) > 0 ? 100 * column(ucol(k)) : NaN) \
     with lines lw 2 lc rgb colour(k) dt dash(k) notitle

set origin 0, 0
set size 1, 0.34
set tmargin 0.5
set bmargin 3.5
set format x '%g'
set xlabel sprintf('simulated time (%s)%s', tunit, warmup > 0 ? '; shaded: warm-up' : '')
set ylabel 'end-to-end p99 (ms)'
if (i99 == 0 || nv[i99] == 0) {
    set yrange [0:1]
    plot NaN notitle
} else {
    # A log scale when the worst interval is far above the best, so both stay readable.
    set yrange [*:*]
    if (lo[i99] < 1e300 && hi[i99] / lo[i99] > 30) {
        set logscale y
        set format y '%g'
    } else {
        set yrange [0:*]
    }
    plot f using (column(1) / tscale):(column(i99)) with lines lw 2 lc rgb '#d62728' notitle
}
unset multiplot
