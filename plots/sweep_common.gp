# Shared part of the sweep plots (sweep_throughput.gp, sweep_latency.gp, sweep_errors.gp): reads
# the arguments, finds the layout of sweep.csv and sets up the terminal; each template loads it
# after setting `plot` (its name) and `H` (image height, px), then calls sweep_panel.gp per panel.
# Arguments: DIR OUT [png|svg] [NAME] [NPARAMS] [CI] [XMODE]: NPARAMS, the number of parameter
# columns that start each row (default 1); CI, 1 when the figures have _ci95 columns (a sweep
# with replications); XMODE, how to draw the first parameter: 'linear', 'log' or 'category'
# (its values as written, evenly spaced; for values that are not plain numbers).
# The arguments come in the array A (empty strings for those not given).
if (!exists("dir")) dir = A[1] ne '' ? A[1] : '.'
if (!exists("out")) out = A[2] ne '' ? A[2] : plot . '.png'
if (!exists("term")) term = A[3] ne '' ? A[3] : 'png'
if (!exists("name")) name = A[4]
if (!exists("np")) np = A[5] ne '' ? A[5] + 0 : 1
if (!exists("ci")) ci = A[6] ne '' ? A[6] + 0 : 0
if (!exists("xmode")) xmode = A[7] ne '' ? A[7] : 'linear'
ttl(s) = name eq '' ? s : name . ': ' . s

set datafile separator ','
set datafile missing ''
set datafile columnheaders
f = dir . '/sweep.csv'

# Rows: the first parameter varies slowest, so the rows of one value of it are contiguous and
# the G rows of its first value hold, in order, every combination of the other parameters.
first_ = ''
stats f using ($0 == 0 ? (first_ = strcol(1), 0) : 0) nooutput
N = exists("STATS_records") ? STATS_records : 0
if (N == 0) { print plot . '.gp: no rows in ' . f; exit status 3 }
G = 0
stats f using (strcol(1) eq first_ ? (G = G + 1, 0) : 0) nooutput
NX = N / G
xlabel = ''
stats f every ::0::0 using (xlabel = columnhead(1), 0) nooutput

# The legend: one line per combination of the other parameters, named by the last part of
# their paths (the legend's title gives them whole) and their values.
tail(s) = strstrt(s, '.') > 0 ? tail(s[strstrt(s, '.') + 1:]) : s
lab(j) = j > np ? '' : (j > 2 ? ', ' : '') . tail(columnhead(j)) . '=' . strcol(j) . lab(j + 1)
names(j) = j > np ? '' : (j > 2 ? ', ' : '') . columnhead(j) . names(j + 1)
array L[G]
stats f using ($0 < G ? (L[int($0) + 1] = lab(2), 0) : 0) nooutput
# The first parameter's values as written, for category ticks.
array X[NX]
stats f using (int($0) % G == 0 ? (X[int($0) / G + 1] = strcol(1), 0) : 0) nooutput

pal = '#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf'
colour(k) = word(pal, (k - 1) % 10 + 1)
dash(k) = (k - 1) / 10 + 1

W = 1000
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
# Panels leave the right fifth of the image to the legend when there are several lines.
rm_ = G > 1 ? 0.8 : 0.97
# The x axis, the same in every panel. Under `every G::k-1`, $0 counts the selected rows, so in
# category mode it is the index of the first parameter's value.
if (xmode eq 'category') {
    xv(dummy) = $0
    set xrange [-0.5:NX - 0.5]
    set xtics () ; do for [i=1:NX] { set xtics add (X[i] i - 1) }
    set xlabel xlabel
} else {
    xv(dummy) = column(1)
    stats f using 1 nooutput
    xmin_ = STATS_min; xmax_ = STATS_max
    if (xmode eq 'log') {
        set logscale x
        set xrange [xmin_ / 1.2:xmax_ * 1.2]
        # Ticks at 1, 2 and 5 times each power of ten: a decade or two need more than powers.
        set xtics ()
        do for [e=-9:12] { do for [m in '1 2 5'] {
            v_ = m * 10.0 ** e
            if (v_ >= xmin_ / 1.2 && v_ <= xmax_ * 1.2) { set xtics add (sprintf('%g', v_) v_) }
        } }
        set xlabel xlabel . ' (log scale)'
    } else {
        pad_ = xmax_ > xmin_ ? (xmax_ - xmin_) * 0.05 : (xmin_ != 0 ? abs(xmin_) * 0.1 : 1)
        set xrange [xmin_ - pad_:xmax_ + pad_]
        set xlabel xlabel
    }
}
if (G > 1) {
    set key at screen rm_ + 0.015, screen 0.92 left top vertical Left reverse samplen 3 \
        noautotitle
} else { set key off }
key_title = ''
if (np > 1) { stats f every ::0::0 using (key_title = names(2), 0) nooutput }
err_note = ci ? '; error bars: 95% confidence over the replications' : ''
