package org.vlmscope.core;

/**
 * A value the user gave is wrong (a position beyond the sequence, a layer out of range, an unknown hook, a patch
 * of the wrong width): the command line answers with exit code 2, like any usage error.
 */
public final class BadArgumentException extends VlmscopeException {
    public BadArgumentException(String message) {
        super(message);
    }
}
