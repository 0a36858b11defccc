package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class HookNamesTest {
    @Test
    void collapsesLayerIndicesInFirstSeenOrder() {
        List<String> hooks = List.of("hook_embed",
                "blocks.0.hook_resid_pre", "blocks.0.attn.hook_pattern", "blocks.0.hook_resid_post",
                "blocks.1.hook_resid_pre", "blocks.1.attn.hook_pattern", "blocks.1.hook_resid_post",
                "blocks.2.hook_resid_pre", "blocks.2.attn.hook_pattern", "blocks.2.hook_resid_post",
                "blocks.3.hook_resid_pre", "blocks.3.attn.hook_pattern", "blocks.3.hook_resid_post",
                "ln_final.hook_normalized", "logits");
        assertEquals(List.of("hook_embed", "blocks.{0..3}.hook_resid_pre", "blocks.{0..3}.attn.hook_pattern",
                "blocks.{0..3}.hook_resid_post", "ln_final.hook_normalized", "logits"), HookNames.collapse(hooks));
    }

    @Test
    void aLoneIndexStaysLiteralAndGapsAreListed() {
        assertEquals(List.of("blocks.0.hook_resid_pre", "blocks.{0,1,5..7}.hook_resid_post"),
                HookNames.collapse(List.of("blocks.0.hook_resid_pre", "blocks.0.hook_resid_post",
                        "blocks.1.hook_resid_post", "blocks.5.hook_resid_post", "blocks.6.hook_resid_post",
                        "blocks.7.hook_resid_post")));
    }

    @Test
    void itemsWithDifferentLabelsAreNotMerged() {
        record V(String name, String type) {
        }
        List<V> values = List.of(new V("past.0.key", "f[a]"), new V("past.1.key", "f[a]"),
                new V("past.2.key", "f[b]"), new V("mask", "i[b]"));
        assertEquals(List.of(new HookNames.Group("past.{0,1}.key", "f[a]"), new HookNames.Group("past.2.key", "f[b]"),
                new HookNames.Group("mask", "i[b]")), HookNames.collapse(values, V::name, V::type));
    }

    @Test
    void ranges() {
        assertEquals("0..31", HookNames.ranges(new TreeSet<>(java.util.stream.IntStream.range(0, 32).boxed().toList())));
        assertEquals("3", HookNames.ranges(new TreeSet<>(List.of(3))));
        assertEquals("0,2,4", HookNames.ranges(new TreeSet<>(List.of(0, 2, 4))));
    }
}
