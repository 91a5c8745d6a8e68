package dev.kiln.bench.workload;

import java.lang.management.ManagementFactory;

/**
 * CPU time of the whole process (every thread, user and system). Next to wall time it shows how
 * much of a figure is waiting (fsync, or other processes on a shared machine) rather than work.
 */
final class Cpu {
  private Cpu() {}

  static long processNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return 0; // not on a HotSpot-style JVM: the figure reads 0
  }
}
