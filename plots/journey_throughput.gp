# The journey's throughput against users, one line per stage, from journey.csv (log-log), with
# the offered load as a dashed line: a stage follows it up to its capacity and falls away past
# it. Filled points meet the objectives, open ones fail them and carry the stage's number.
# Run:  gnuplot -e "dir='out/journey'; out='journey_throughput.png'" plots/journey_throughput.gp
#  or:  gnuplot -c plots/journey_throughput.gp DIR OUT [png|svg] [NAME]
# Variables (or the arguments in that order): dir: the journey's output folder; out: the image
# to write; term: 'png' (pngcairo when built in, else png) or 'svg'; name: a title prefix.
# Columns of journey.csv: stage, index, users, offered_rps, throughput_rps, mean_ms, p50_ms,
# p99_ms, errors_frac, pass.
if (!exists("dir")) dir = ARGC >= 1 ? ARG1 : '.'
if (!exists("out")) out = ARGC >= 2 ? ARG2 : 'journey_throughput.png'
if (!exists("term")) term = ARGC >= 3 ? ARG3 : 'png'
if (!exists("name")) name = ARGC >= 4 ? ARG4 : ''
ttl(s) = name eq '' ? s : name . ': ' . s

set datafile separator ','
set datafile missing ''
set datafile columnheaders
f = dir . '/journey.csv'

# Stage names in order of first appearance (names are words: letters, digits, '-').
stages = ''
has(s) = strstrt(' ' . stages . ' ', ' ' . s . ' ') > 0
stats f using (s_ = strcol(1), has(s_) ? 0 : (stages = stages . ' ' . s_, 0)) nooutput
nst = words(stages)
if (nst == 0) { print 'journey_throughput.gp: no rows in ', f; exit status 3 }
stats f using 3 nooutput
umin = STATS_min; umax = STATS_max
stats f using (column(5) > 0 ? column(5) : NaN) nooutput
pmin = STATS_records > 0 ? STATS_min : 1
pmax = STATS_records > 0 ? STATS_max : 1000
stats f using (column(4) > 0 ? column(4) : NaN) nooutput
if (STATS_records > 0 && STATS_min < pmin) { pmin = STATS_min }
if (STATS_records > 0 && STATS_max > pmax) { pmax = STATS_max }

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
set grid xtics ytics mxtics mytics lc rgb '#d8d8d8' lw 1 dt solid, lc rgb '#eeeeee' lw 1 dt solid
set title ttl('Throughput against users, per stage') font ',13'
set lmargin at screen 0.08
set rmargin at screen 0.8
set key at screen 0.815, screen 0.9 left top vertical Left reverse samplen 3 \
    noautotitle
set logscale xy
set format x '%.0s%c'
set format y '%g'
set xlabel 'users (log scale); filled points meet the objectives, open ones fail them ' . \
    '(numbered by stage)'
set ylabel 'throughput (completed requests/s, log scale)'
set xrange [umin / 1.25:umax * 1.25]
set yrange [pmin / 1.5:pmax * 1.5]
# Ticks at 1, 2 and 5 times each power of ten: a few decades need more than the powers.
set xtics () ; set ytics ()
do for [e=-3:9] { do for [m in '1 2 5'] {
    v = m * 10.0 ** e
    if (v >= umin / 1.25 && v <= umax * 1.25) { set xtics add (gprintf('%.0s%c', v) v) }
    if (v >= pmin / 1.5 && v <= pmax * 1.5) { set ytics add (gprintf('%.0s%c', v) v) }
} }
# Each stage's rows are contiguous: other stages' rows are NaN and draw nothing.
on(k) = strcol(1) eq word(stages, k)
# The stages share the offered line up to their capacity: drawn last-stage first, so each
# earlier, shorter stage stays visible on top and the line changes colour where a stage ends.
# A failed point is numbered with its stage (an empty label elsewhere: gnuplot 5.4 crashes on
# labels that are all at NaN). The legend entries come first, in stage order, from lines of
# nothing.
plot f using 3:4 smooth unique with lines lw 1.5 dt 2 lc rgb '#555555' title 'offered', \
     for [k=1:nst] NaN with lines lw 2 lc rgb colour(k) dt dash(k) title word(stages, k), \
     for [k=nst:1:-1] f using (on(k) ? column(3) : NaN):(column(5)) \
        with lines lw 3 lc rgb colour(k) dt dash(k) notitle, \
     for [k=nst:1:-1] '' using (on(k) && column(10) == 1 ? column(3) : NaN):(column(5)) \
        with points pt 7 ps 1 lc rgb colour(k) notitle, \
     for [k=nst:1:-1] '' using (on(k) && column(10) != 1 ? column(3) : NaN):(column(5)) \
        with points pt 6 ps 1.3 lw 2 lc rgb colour(k) notitle, \
     '' using 3:5:(column(10) != 1 ? sprintf('%d', column(2)) : '') \
        with labels offset 1.1, -0.7 tc rgb '#333333' notitle
