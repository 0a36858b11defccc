package org.vlmscope.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a benchmark reads about its process from Linux's /proc: resident memory, current (VmRSS) and peak (VmHWM)
 * bytes, native memory of ONNX Runtime included, with a peak that can be reset so that each measured step gets its
 * own; CPU seconds of all threads; the machine's load. -1 where /proc is unreadable.
 */
public final class ProcessStats {
    /** Linux's USER_HZ, the unit of utime and stime in /proc/self/stat, on every architecture Java runs on. */
    private static final double TICKS_PER_SECOND = 100;
    private static final Path STATUS = Path.of("/proc/self/status");
    /** Writing "5" here resets VmHWM to the current VmRSS (Linux 4.0 and later). */
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private ProcessStats() {
    }

    public static long residentBytes() {
        return field(STATUS, "VmRSS:");
    }

    public static long peakBytes() {
        return field(STATUS, "VmHWM:");
    }

    /**
     * Proportional set size: resident memory with each page counted once however many mappings share it. ONNX
     * Runtime maps a model's data file once per session, so resident size counts shared weights once per variant
     * and overstates what the variants cost together; this does not.
     */
    public static long proportionalBytes() {
        return field(Path.of("/proc/self/smaps_rollup"), "Pss:");
    }

    /** Starts a new peak at the current resident size; false where the kernel does not allow it. */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /**
     * User plus system CPU seconds of every thread of the process (ONNX Runtime's pool included). On a shared
     * machine the wall time of a step grows with the load while its CPU time does not, or much less.
     */
    public static double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The system's 1-minute load average, or -1: the machine may be shared, and timings depend on it. */
    public static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long field(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
