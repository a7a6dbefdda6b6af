# The journey's capacity per stage from capacity.csv: one bar per stage (log scale) labelled
# with the most users that met the objectives and the bottleneck the estimate names; a hatched
# bar and a "≥" mark a lower bound (no tried point failed), a diamond the estimate's saturation.
# Run:  gnuplot -e "dir='out/journey'; out='journey_capacity.png'" plots/journey_capacity.gp
#  or:  gnuplot -c plots/journey_capacity.gp DIR OUT [png|svg] [NAME]
# Variables (or the arguments in that order): dir: the journey's output folder; out: the image
# to write; term: 'png' (pngcairo when built in, else png) or 'svg'; name: a title prefix.
# Columns of capacity.csv: stage, index, capacity_users, capacity_rps, bounded, bottleneck,
# estimate_users.
if (!exists("dir")) dir = ARGC >= 1 ? ARG1 : '.'
if (!exists("out")) out = ARGC >= 2 ? ARG2 : 'journey_capacity.png'
if (!exists("term")) term = ARGC >= 3 ? ARG3 : 'png'
if (!exists("name")) name = ARGC >= 4 ? ARG4 : ''
ttl(s) = name eq '' ? s : name . ': ' . s

set encoding utf8
set datafile separator ','
set datafile missing ''
set datafile columnheaders
f = dir . '/capacity.csv'

stats f using 2 nooutput
n = STATS_records
if (n == 0) { print 'journey_capacity.gp: no rows in ', f; exit status 3 }
# The range covers the capacities and the estimates, with headroom above for the labels.
stats f using (column(3) > 0 ? column(3) : NaN) nooutput
lo = STATS_records > 0 ? STATS_min : 1
hi = STATS_records > 0 ? STATS_max : 10
stats f using (column(7) > 0 ? column(7) : NaN) nooutput
if (STATS_records > 0 && STATS_min < lo) { lo = STATS_min }
if (STATS_records > 0 && STATS_max > hi) { hi = STATS_max }
ymin = 10 ** floor(log10(lo / 2))
ymax = hi * 4

array pal[10] = [0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, \
                 0x7f7f7f, 0xbcbd22, 0x17becf]
colour(k) = pal[(int(k) - 1) % 10 + 1]

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
set grid ytics mytics lc rgb '#d8d8d8' lw 1 dt solid, lc rgb '#eeeeee' lw 1 dt solid
set title ttl("Capacity per stage: the most users that met the objectives\n") . \
    'labels: the capacity, and the bottleneck the estimate names' font ',13'
# The bars rise to the right: the top left corner is free for the key.
set key top left inside vertical Left reverse samplen 2 opaque box lc rgb '#cccccc'
set bmargin 7
set lmargin 12
set logscale y
set ylabel 'users (log scale)'
set yrange [ymin:ymax]
set ytics ()
do for [e=0:10] { do for [m in '1 2 5'] {
    v = m * 10.0 ** e
    if (v >= ymin && v <= ymax) { set ytics add (gprintf('%.0s%c', v) v) }
} }
set xrange [0.4:n + 0.6]
set xtics 1 rotate by 30 right
# Three significant digits with k or M, and "≥" before a lower bound.
short(v) = v >= 1e6 ? sprintf('%.3gM', v / 1e6) : (v >= 1e3 ? sprintf('%.3gk', v / 1e3) \
    : sprintf('%.0f', v))
label(v, b) = v > 0 ? (b ? '' : '≥') . short(v) : 'none'
set style fill solid 0.85 border lc rgb '#555555'
# Bars as boxes from the bottom of the axis (boxes would start at 0, off a log axis), given as
# x, y, x from, x to, y from, y to, colour: bounded capacities (b = 1) solid, lower bounds
# (b = 0) hatched. Each label sits above its bar or its estimate, whichever is higher.
bar(b) = (column(5) == 1) == b && column(3) > 0 ? column(3) : NaN
# A stage without a capacity (nothing passed) or an estimate has "nan" there: read as text, so
# that its label still shows ("none"); gnuplot drops a point that touches a NaN field.
num(c) = (s_ = strcol(c), s_ eq '' || strstrt(s_, 'nan') > 0 ? 0 : s_ + 0)
top(r) = num(7) > num(3) ? num(7) : num(3)
tag(r) = sprintf("%s\n%s", label(num(3), column(5) == 1), strcol(6))
plot f using 2:(NaN):xticlabels(strcol(1)) with points notitle, \
     '' using 2:(bar(1)):($2 - 0.35):($2 + 0.35):(ymin):(bar(1)):(colour($2)) \
        with boxxyerror lc rgb variable fs solid 0.85 noborder notitle, \
     '' using 2:(bar(0)):($2 - 0.35):($2 + 0.35):(ymin):(bar(0)):(colour($2)) \
        with boxxyerror lc rgb variable fs pattern 4 border notitle, \
     '' using 2:(column(7) > 0 ? column(7) : NaN) with points pt 13 ps 1.6 lc rgb '#333333' \
        title "estimate (back-of-envelope saturation)", \
     NaN with boxes fs solid 0.85 lc rgb '#9e9e9e' title 'capacity (the next point failed)', \
     NaN with boxes fs pattern 4 lc rgb '#9e9e9e' title '≥ lower bound (no point failed)', \
     '' using 2:(top(0) > 0 ? top(0) : ymin):(tag(0)) \
        with labels offset 0, 1.8 tc rgb '#222222' notitle
