# Key movement per topology change, from keymoves.csv: for each recorded change (a node added or
# removed), the fraction of keys that moved next to the ideal fraction (|change| / larger count).
# Run:  gnuplot -e "dir='out/web-db'; out='keymoves.png'" plots/keymoves.gp
#  or:  gnuplot -c plots/keymoves.gp DIR OUT [png|svg] [NAME]
# Variables (or the arguments in that order): dir: the run's output folder; out: the image to
# write; term: 'png' (pngcairo when built in, else png) or 'svg'; name: the scenario name for
# the title. Columns: at_s, component, nodes_before, nodes_after, keys, moved, moved_fraction,
# ideal_fraction.
if (!exists("dir")) dir = ARGC >= 1 ? ARG1 : '.'
if (!exists("out")) out = ARGC >= 2 ? ARG2 : 'keymoves.png'
if (!exists("term")) term = ARGC >= 3 ? ARG3 : 'png'
if (!exists("name")) name = ARGC >= 4 ? ARG4 : ''
ttl(s) = name eq '' ? s : name . ': ' . s

set datafile separator ','
set datafile missing ''
set datafile columnheaders
f = dir . '/keymoves.csv'
stats f using 7 nooutput
n = STATS_records
fmax = STATS_max
stats f using 8 nooutput
if (STATS_max > fmax) { fmax = STATS_max }

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
set grid ytics lc rgb '#d8d8d8' lw 1 dt solid
set title ttl('Keys moved per topology change') font ',13'
set key at screen 0.5, screen 0.015 center bottom horizontal samplen 2 width 2
set bmargin (n > 8 ? 9 : 6)
# Slanted labels reach left of their bar: room for the first one.
if (n > 8) { set lmargin 16 }
set ylabel 'keys moved (% of all keys)'
set yrange [0:(fmax > 0 ? 100 * fmax * 1.2 : 1)]
set xrange [-0.6:n - 0.4]
set style fill solid 0.85 noborder
set boxwidth 0.36
# Many changes: slanted tick labels and no value labels, which would overlap.
if (n > 8) { set xtics rotate by 30 right } else { set xtics norotate }
tick(at, c, before, after) = n > 8 ? sprintf("%s %g s: %d->%d", c, at, before, after) \
    : sprintf("%s at %g s\n%d -> %d nodes", c, at, before, after)
# The tick sits between the pair of bars, on a plot of nothing.
plot f using 0:(NaN):xticlabels(tick(column(1), strcol(2), column(3), column(4))) \
        with points notitle, \
     '' using ($0 - 0.19):(100 * column(7)) with boxes lc rgb '#ff7f0e' title 'moved', \
     '' using ($0 + 0.19):(100 * column(8)) with boxes lc rgb '#9e9e9e' \
        title 'ideal (|change| / larger node count)', \
     '' using ($0 - 0.19):(100 * column(7)):(n > 8 ? '' : sprintf('%.2f%%', 100 * column(7))) \
        with labels offset 0, 0.8 notitle, \
     '' using ($0 + 0.19):(100 * column(8)):(n > 8 ? '' : sprintf('%.2f%%', 100 * column(8))) \
        with labels offset 0, 0.8 tc rgb '#555555' notitle
