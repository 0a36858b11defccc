package org.vlmscope.core.vocab;

/** Keys vlmscope writes into a graph's {@code metadata_props} and into a cache file's header metadata. */
public final class MetadataKeys {
    /** Which graph of the model directory this is ({@link GraphNames#ALL}). */
    public static final String GRAPH = "vlmscope.graph";
    /** The hook names the graph carries, comma-separated, in graph order. */
    public static final String HOOKS = "vlmscope.hooks";
    /** The element type of activations inside the graph: fp32 or fp16. */
    public static final String COMPUTE_TYPE = "vlmscope.compute_type";
    /** The decoder's layer count. */
    public static final String LAYERS = "vlmscope.layers";
    /** The decoder's RMSNorm epsilon, for passes that add norms (the logit lens). */
    public static final String RMS_NORM_EPS = "vlmscope.rms_norm_eps";
    /** The final norm's weight tensor, when it is not the exporter's (a graph whose hooks were located). */
    public static final String FINAL_NORM_WEIGHT = "vlmscope.final_norm_weight";
    /** The unembedding [d_model, vocab] tensor, when it is not the exporter's (a graph whose hooks were located). */
    public static final String UNEMBED = "vlmscope.unembed";
    /** What the hook locator found in a graph vlmscope did not write, as JSON. */
    public static final String LOCATED = "vlmscope.located";
    /** The passes applied to the graph, as a JSON list. */
    public static final String SURGERY = "vlmscope.surgery";
    /** The vlmscope version that wrote a cache file. */
    public static final String VERSION = "vlmscope.version";

    private MetadataKeys() {
    }
}
