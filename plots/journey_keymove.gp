# Keys moved when one node joins n nodes, per placement scheme, from keymove.csv: the moved
# fraction against n on a log scale, so that modulo's (about n/(n+1)) and the consistent
# schemes' (about 1/(n+1)) both read, with the ideal 1/(n+1) dashed.
# Run:  gnuplot -e "dir='out/journey'; out='journey_keymove.png'" plots/journey_keymove.gp
#  or:  gnuplot -c plots/journey_keymove.gp DIR OUT [png|svg] [NAME]
# Variables (or the arguments in that order): dir: the journey's output folder; out: the image
# to write; term: 'png' (pngcairo when built in, else png) or 'svg'; name: a title prefix.
# Columns of keymove.csv: scheme, nodes_before, nodes_after, moved_fraction, ideal_fraction.
if (!exists("dir")) dir = ARGC >= 1 ? ARG1 : '.'
if (!exists("out")) out = ARGC >= 2 ? ARG2 : 'journey_keymove.png'
if (!exists("term")) term = ARGC >= 3 ? ARG3 : 'png'
if (!exists("name")) name = ARGC >= 4 ? ARG4 : ''
ttl(s) = name eq '' ? s : name . ': ' . s

set datafile separator ','
set datafile missing ''
set datafile columnheaders
f = dir . '/keymove.csv'

# Scheme names in order of first appearance.
schemes = ''
has(s) = strstrt(' ' . schemes . ' ', ' ' . s . ' ') > 0
stats f using (s_ = strcol(1), has(s_) ? 0 : (schemes = schemes . ' ' . s_, 0)) nooutput
nsch = words(schemes)
if (nsch == 0) { print 'journey_keymove.gp: no rows in ', f; exit status 3 }
stats f using 2 nooutput
nmin = STATS_min; nmax = STATS_max
# The least positive fraction, moved or ideal, sets the bottom of the log axis; nothing moved
# (a fraction of 0) sits on the bottom edge.
stats f using (column(4) > 0 ? column(4) : NaN) nooutput
fmin = STATS_records > 0 ? STATS_min : 1
stats f using (column(5) > 0 ? column(5) : NaN) nooutput
if (STATS_records > 0 && STATS_min < fmin) { fmin = STATS_min }
# The bottom: 1, 2 or 5 times a power of ten, just under the least fraction.
e_ = floor(log10(fmin / 1.2))
m_ = fmin / 1.2 / 10.0 ** e_
ymin = (m_ >= 5 ? 5 : (m_ >= 2 ? 2 : 1)) * 10.0 ** e_

pal = '#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf'
colour(k) = word(pal, (k - 1) % 10 + 1)
dash(k) = (k - 1) / 10 + 1

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
set grid xtics ytics mytics lc rgb '#d8d8d8' lw 1 dt solid, lc rgb '#eeeeee' lw 1 dt solid
set title ttl('Keys moved when one node joins n nodes, per placement scheme') font ',13'
set lmargin at screen 0.08
set rmargin at screen 0.84
set key at screen 0.855, screen 0.9 left top vertical Left reverse samplen 3 \
    title 'scheme' noautotitle
set logscale y
set xlabel 'nodes before the change (n); one node is added'
set ylabel 'fraction of keys moved (log scale)'
set xrange [nmin - 0.5:nmax + 0.5]
if (nmax - nmin <= 16) { set xtics 1 } else { set xtics 2 }
set yrange [ymin:1.5]
set ytics ()
do for [e=-6:0] { do for [m in '1 2 5'] {
    v = m * 10.0 ** e
    if (v >= ymin && v <= 1) { set ytics add (sprintf('%g', v) v) }
} }
on(k) = strcol(1) eq word(schemes, k)
# The ideal is the same for every scheme: drawn from the first one's rows, on top.
plot for [k=1:nsch] f using 2:(on(k) ? (column(4) > 0 ? column(4) : ymin) : NaN) \
        with linespoints lw 2 pt (k + 3) ps 0.8 lc rgb colour(k) dt dash(k) \
        title word(schemes, k), \
     '' using 2:(on(1) ? column(5) : NaN) with lines lw 2 dt 2 lc rgb '#222222' \
        title 'ideal 1/(n+1)'
