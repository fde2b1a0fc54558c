#!/bin/bash
# Reproduce (docs/benchmarks.md, "Waiting for the answer"):
#   git archive d365f27 | tar -x -C /tmp/before && cmake -S /tmp/before -B /tmp/before/build && cmake --build /tmp/before/build --target vmm guest.elf
#   BEFORE=/tmp/before/build/bin tools/kvm-machine.sh --cpus 1 tools/bench-wait/thread-cpu.sh   (or run it directly on a KVM host)
# The waiting (main) thread's CPU against wall time while touching 256 MiB:
# sample /proc/PID/task/*/stat every 50 ms, keep the last sample.
echo "# thread-cpu: before ($BEFORE) and after (${AFTER:-build/bin}), 3 runs"
echo "# reproduce: BEFORE=$BEFORE tools/kvm-machine.sh --cpus 1 tools/bench-wait/thread-cpu.sh"
for i in 1 2 3; do
for v in before after; do
  if [ $v = before ]; then b=${BEFORE:?BEFORE=dir of the old vmm and guest.elf}; else b=${AFTER:-build/bin}; fi
  s0=$(date +%s.%N)
  $b/vmm --mem 512M --script ${DIR:-tools/bench-wait}/touch.scn $b/guest.elf >/dev/null 2>&1 &
  pid=$!
  main=0; other=0
  while kill -0 $pid 2>/dev/null; do
    m=0; o=0
    for t in /proc/$pid/task/*; do
      st=$(cat $t/stat 2>/dev/null) || continue
      set -- ${st#*) }
      c=$(( ${12} + ${13} ))
      if [ "${t##*/}" = "$pid" ]; then m=$c; else o=$((o + c)); fi
    done
    [ $m -gt 0 ] && main=$m; [ $o -gt 0 ] && other=$o
    sleep 0.05
  done
  s1=$(date +%s.%N)
  echo "$v wall $(echo "$s1 - $s0" | bc) main_ticks $main other_ticks $other hz $(getconf CLK_TCK)"
done
done
