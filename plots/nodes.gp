# Load per node: requests each node served, one panel per component (from nodes.csv), with the
# component's mean as a dashed line and its skew (max/mean, coefficient of variation) in the title.
# Run:  gnuplot -e "dir='out/web-db'; out='nodes.png'" plots/nodes.gp
#  or:  gnuplot -c plots/nodes.gp DIR OUT [png|svg] [NAME]
# Variables (or the arguments in that order): dir: the run's output folder; out: the image to
# write; term: 'png' (pngcairo when built in, else png) or 'svg'; name: the scenario name for
# the title. The image grows by one row of three panels per three components.
if (!exists("dir")) dir = ARGC >= 1 ? ARG1 : '.'
if (!exists("out")) out = ARGC >= 2 ? ARG2 : 'nodes.png'
if (!exists("term")) term = ARGC >= 3 ? ARG3 : 'png'
if (!exists("name")) name = ARGC >= 4 ? ARG4 : ''
ttl(s) = name eq '' ? s : name . ': ' . s

set datafile separator ','
set datafile missing ''
set datafile columnheaders
f = dir . '/nodes.csv'

# Component ids in order of first appearance (ids are letters, digits, '_' and '-': words).
comps = ''
has(s) = strstrt(' ' . comps . ' ', ' ' . s . ' ') > 0
stats f using (c_ = strcol(1), has(c_) ? 0 : (comps = comps . ' ' . c_, 0)) nooutput
ncomp = words(comps)
if (ncomp == 0) { print 'nodes.gp: no rows in ', f; exit status 3 }
# Per component: node count, mean, largest and population standard deviation of the requests.
array cn[ncomp]
array cmean[ncomp]
array cmax[ncomp]
array csd[ncomp]
do for [k=1:ncomp] {
    stats f using (strcol(1) eq word(comps, k) ? column(3) : NaN) nooutput
    cn[k] = STATS_records; cmean[k] = STATS_mean; cmax[k] = STATS_max; csd[k] = STATS_stddev
}

cols = ncomp < 3 ? ncomp : 3
rows = (ncomp + cols - 1) / cols
W = 1000; H = rows == 1 ? 600 : 70 + 330 * rows
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

pal = '#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf'
colour(k) = word(pal, (k - 1) % 10 + 1)
set border 3 lc rgb '#555555'
set tics nomirror out
set grid ytics lc rgb '#d8d8d8' lw 1 dt solid
set style fill solid 0.8 noborder
set boxwidth 0.8
set xlabel 'node'
set ylabel 'requests'
top = rows == 1 ? 0.86 : 1 - 90.0 / H
bottom = rows == 1 ? 0.1 : 60.0 / H
vgap = rows == 1 ? 0.1 : 110.0 / H
set multiplot layout rows, cols \
    title ttl('Requests per node (dashed line: the mean of the component)') font ',13' \
    margins 0.08, 0.98, bottom, top spacing 0.09, vgap
do for [k=1:ncomp] {
    set title sprintf("%s (%d node%s)\nmax/mean %.3f, CoV %.3f", \
        word(comps, k), cn[k], cn[k] == 1 ? '' : 's', \
        cmean[k] > 0 ? cmax[k] / cmean[k] : 1, cmean[k] > 0 ? csd[k] / cmean[k] : 0) font ',11'
    # Thousands as k, millions as M, once the counts are large enough to need it.
    if (cmax[k] >= 10000) { set format y '%.0s%c' } else { set format y '%g' }
    if ((k - 1) % cols == 0) { set ylabel 'requests' } else { unset ylabel }
    set xrange [-0.6:cn[k] - 0.4]
    if (cn[k] <= 16) { set xtics 1 } else { set xtics autofreq }
    set yrange [0:(cmax[k] > 0 ? cmax[k] * 1.15 : 1)]
    plot f using 2:(strcol(1) eq word(comps, k) ? column(3) : NaN) \
            with boxes lc rgb colour(k) notitle, \
         cmean[k] with lines lw 1.5 dt 2 lc rgb '#333333' notitle
}
unset multiplot
