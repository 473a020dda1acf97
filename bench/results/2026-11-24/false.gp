set terminal pngcairo size 800,480 noenhanced
set output 'false.png'
set grid
set key inside left top
set title 'False stall events per configuration'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel 'events in the window'
set yrange [0:*]
set xlabel 'scenario: guest-time / virtual / guest kernel warnings' offset 0,-1.5
set bmargin 5
set offsets 0, 0, graph 0.3, 0
plot 'false.dat' using 2:xtic(1) title 'VCPU_STALL, clock=guest-time', '' using 3 title 'VCPU_STALL, clock=virtual', '' using 4 title 'guest softlockup+hardlockup+RCU (both VMs)'
