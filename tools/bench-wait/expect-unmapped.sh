#!/bin/bash
# Reproduce (docs/benchmarks.md, "Waiting for the answer"):
#   git archive d365f27 | tar -x -C /tmp/before && cmake -S /tmp/before -B /tmp/before/build && cmake --build /tmp/before/build --target vmm guest.elf
#   BEFORE=/tmp/before/build/bin tools/kvm-machine.sh --cpus 1 tools/bench-wait/expect-unmapped.sh   (or run it directly on a KVM host)
# expect unmapped over 64 MiB, 20 times, minus the mmap alone: wall time per expectation
TIMEFORMAT='%R'
echo "# expect-unmapped: before ($BEFORE) and after (${AFTER:-build/bin}), 3 runs"
echo "# reproduce: BEFORE=$BEFORE tools/kvm-machine.sh --cpus 1 tools/bench-wait/expect-unmapped.sh"
for i in 1 2 3; do
for v in before after; do
  if [ $v = before ]; then b=${BEFORE:?BEFORE=dir of the old vmm and guest.elf}; else b=${AFTER:-build/bin}; fi
  tb=$( { time $b/vmm --mem 512M --script ${DIR:-tools/bench-wait}/base.scn $b/guest.elf >/dev/null 2>&1; } 2>&1 )
  tu=$( { time $b/vmm --mem 512M --script ${DIR:-tools/bench-wait}/unm20.scn $b/guest.elf >/dev/null 2>&1; } 2>&1 )
  echo "$v base $tb unm20 $tu per_expect_ms $(echo "($tu - $tb) * 1000 / 20" | bc -l | cut -c1-6)"
done
done
