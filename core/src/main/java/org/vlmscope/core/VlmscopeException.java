package org.vlmscope.core;

/**
 * An error meant for the user: its message alone must say what went wrong, naming the file,
 * tensor or setting involved and what was expected, because the CLI prints only the message.
 */
public class VlmscopeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VlmscopeException(String message) {
        super(message);
    }

    public VlmscopeException(String message, Throwable cause) {
        super(message, cause);
    }
}
