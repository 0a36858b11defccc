package org.vlmscope.runtime.text;

import java.util.Arrays;
import java.util.List;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.run.ImageTokens;

/** Question text to the model's input: template, tokenizer, image-placeholder expansion. */
public final class Prompts {
    private Prompts() {
    }

    /**
     * Renders {@code question} into {@code template}, tokenizes it (BOS as the tokenizer adds it) and expands the
     * image placeholder to {@code visualTokens} ids of {@code imageTokenId} on a grid {@code gridWidth} wide.
     */
    public static Sequence build(Tokenizer tokenizer, PromptTemplate template, String question, int visualTokens,
                                 long imageTokenId, int gridWidth) {
        return Sequence.expand(tokenize(tokenizer, template, question, imageTokenId), imageTokenId, visualTokens,
                gridWidth);
    }

    /** As above for one image whose visual tokens lie on {@code grid} (a family whose grid depends on the image). */
    public static Sequence build(Tokenizer tokenizer, PromptTemplate template, String question, long imageTokenId,
                                 TokenGrid grid) {
        return build(tokenizer, template, question, grid.tokens(), imageTokenId, grid.cols());
    }

    /**
     * As above for a template that places several images (one placeholder each, in order): placeholder i is
     * expanded to the visual tokens of {@code grids.get(i)}.
     */
    public static Sequence build(Tokenizer tokenizer, PromptTemplate template, String question, long imageTokenId,
                                 List<TokenGrid> grids) {
        return Sequence.expand(tokenize(tokenizer, template, question, imageTokenId), imageTokenId, grids);
    }

    /** The template with the question, tokenized; the template, not the question, places the images. */
    private static long[] tokenize(Tokenizer tokenizer, PromptTemplate template, String question, long imageTokenId) {
        String image = template.image();
        if (!template.hasImage()) {
            throw new VlmscopeException("the " + template.family() + " prompt template "
                    + PromptTemplate.quote(template.text()) + " has no " + image
                    + " placeholder, but this prompt goes with an image: put " + image
                    + " where the visual tokens belong");
        }
        if (question.contains(image)) {
            throw new VlmscopeException("the question " + PromptTemplate.quote(question) + " holds "
                    + image + "; the template places the images itself");
        }
        String text = template.render(question);
        long[] ids = tokenizer.encode(text);
        if (ImageTokens.count(ids, imageTokenId) == 0) {
            throw new VlmscopeException("the tokenizer turned " + PromptTemplate.quote(text) + " into "
                    + Arrays.toString(ids) + ", without the image token id " + imageTokenId + " for "
                    + image + ": the tokenizer and the model's image token id do not match");
        }
        return ids;
    }

    /** {@link #build(Tokenizer, PromptTemplate, String, int, long, int)} with the model's image token and grid. */
    public static Sequence build(Tokenizer tokenizer, PromptTemplate template, String question,
                                 ModelManifest manifest) {
        ModelManifest.Dims d = manifest.dims();
        return build(tokenizer, template, question, d.visualTokens(), manifest.imageTokenId(), d.gridSize());
    }
}
