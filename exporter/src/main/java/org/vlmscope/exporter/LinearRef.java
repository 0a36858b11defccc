package org.vlmscope.exporter;

import org.vlmscope.core.TensorInfo;

/** Rows [rowStart, rowStart+rows) of a checkpoint's [out, in] Linear weight (and the same range of its bias, if any). */
record LinearRef(TensorInfo weight, TensorInfo bias, long rowStart, long rows) {
}
