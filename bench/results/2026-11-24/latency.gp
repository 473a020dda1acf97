set terminal pngcairo size 800,480 noenhanced
set output 'latency.png'
set grid
set key inside left top
set title 'Detection latency / timeout (CDF)'
set xlabel '(event - stall start) / timeout'
set ylabel 'fraction of stalls'
set xrange [0:1.5]
set yrange [0:1.05]
set arrow from 0.5,0 to 0.5,1.05 nohead dt 2
set arrow from 1,0 to 1,1.05 nohead dt 2
plot 'latency-1-guest-time.dat' using 1:2 with steps lw 2 title 'timeout 1 s guest-time', 'latency-2-guest-time.dat' using 1:2 with steps lw 2 title 'timeout 2 s guest-time', 'latency-5-guest-time.dat' using 1:2 with steps lw 2 title 'timeout 5 s guest-time', 'latency-2-virtual.dat' using 1:2 with steps lw 2 title 'timeout 2 s virtual'
