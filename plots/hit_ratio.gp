# Cache hit ratio per metrics interval: every <id>.hit_ratio column of timeseries.csv, and on
# a right-hand axis the keys a migration has still to copy (<id>.in_transit columns), if any.
# Run:  gnuplot -e "dir='out/web-db'; out='hit_ratio.png'" plots/hit_ratio.gp
#  or:  gnuplot -c plots/hit_ratio.gp DIR OUT [png|svg] [NAME] [WARMUP_S] [SERIES_CSV]
# Variables (or the arguments in that order): dir: the run's output folder; out: the image to
# write; term: 'png' (pngcairo when built in, else png) or 'svg'; name: the scenario name for
# the title; warmup: the warm-up length in s, shaded; series: the CSV file to read instead of
# DIR/timeseries.csv (clustersim passes a min/max-decimated copy of a long one).
# Empty CSV fields are intervals without a value (no lookups): the line breaks there.
# Exits with status 3, writing nothing, when there is no .hit_ratio column.
if (!exists("dir")) dir = ARGC >= 1 ? ARG1 : '.'
if (!exists("out")) out = ARGC >= 2 ? ARG2 : 'hit_ratio.png'
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
hcols = ''
do for [i=1:ncol] { if (ends(word(names, i), '.hit_ratio')) { hcols = hcols . ' ' . i } }
if (words(hcols) == 0) { print 'hit_ratio.gp: no <id>.hit_ratio column in ', f; exit status 3 }
comp(k) = word(names, word(hcols, k) + 0)[1:strlen(word(names, word(hcols, k) + 0)) - 10]
icols = ''
do for [i=1:ncol] { if (ends(word(names, i), '.in_transit')) { icols = icols . ' ' . i } }
icomp(k) = word(names, word(icols, k) + 0)[1:strlen(word(names, word(icols, k) + 0)) - 11]
pal = '#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf'
colour(k) = word(pal, (k - 1) % 10 + 1)
dash(k) = (k - 1) / 10 + 1
nvals = 0
do for [k=1:words(hcols)] { nvals = nvals + nv[word(hcols, k) + 0] }

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
set title ttl('Cache hit ratio per interval')
set ylabel 'hit ratio (%)'
set yrange [0:100]
set ytics 10
if (nvals == 0) {
    set label 2 'no lookups in any interval' at graph 0.5, graph 0.5 center tc rgb '#888888'
}
if (words(icols) == 0) {
    plot for [k=1:words(hcols)] f using (column(1) / tscale):(100 * column(word(hcols, k) + 0)) \
         with lines lw 2 lc rgb colour(k) dt dash(k) title comp(k)
} else {
    set y2label 'keys in transit (migration)'
    set y2tics nomirror
    set y2range [0:*]
    set border 11 lc rgb '#555555'
    plot for [k=1:words(hcols)] f using (column(1) / tscale):(100 * column(word(hcols, k) + 0)) \
         with lines lw 2 lc rgb colour(k) dt dash(k) title comp(k), \
         for [k=1:words(icols)] f using (column(1) / tscale):(column(word(icols, k) + 0)) \
         axes x1y2 with lines lw 1.5 lc rgb '#888888' dt k + 1 title icomp(k) . ' keys in transit'
}
