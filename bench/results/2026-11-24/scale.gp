set terminal pngcairo size 800,480 noenhanced
set output 'scale.png'
set grid
set key inside left top
set title 'Reading every CPU status'
set logscale xy
set xlabel 'vCPUs'
set ylabel 'ms (median)'
plot 'scale.dat' using 1:2 with linespoints lw 2 title 'stallctl status --json', '' using 1:3 with linespoints lw 2 title 'netlink dump', '' using 1:4 with linespoints lw 2 title 'sysfs files'
