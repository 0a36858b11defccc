package org.vlmscope.graph;

/** A graph that cannot be read, built or rewritten as asked; the message names the node, value or op. */
public class GraphException extends RuntimeException {
    public GraphException(String message) {
        super(message);
    }

    public GraphException(String message, Throwable cause) {
        super(message, cause);
    }
}
