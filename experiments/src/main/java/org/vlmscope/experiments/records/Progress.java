package org.vlmscope.experiments.records;

import java.time.Duration;
import java.util.Optional;

/**
 * Where a run stands: {@code done} of {@code total} work units, of which {@code resumed} were already done
 * when it started; the rate counts only the units processed since, and the ETA (absent until the first unit)
 * extrapolates it to the rest.
 */
public record Progress(int done, int total, int resumed, double itemsPerSecond, Optional<Duration> eta) {
}
