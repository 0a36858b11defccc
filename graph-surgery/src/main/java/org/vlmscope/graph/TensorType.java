package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Element type and (possibly symbolic) shape of a tensor value. A null shape means the rank is unknown.
 */
public record TensorType(DataType elemType, List<Dim> shape) {

    /** One dimension: a fixed size, a named symbolic size, or unknown (neither). */
    public record Dim(long size, String param) {
        public static Dim of(long size) {
            return new Dim(size, null);
        }

        public static Dim sym(String param) {
            return new Dim(-1, param);
        }

        public static Dim unknown() {
            return new Dim(-1, null);
        }

        public boolean isFixed() {
            return param == null && size >= 0;
        }

        @Override
        public String toString() {
            return param != null ? param : size >= 0 ? Long.toString(size) : "?";
        }
    }

    public TensorType {
        shape = shape == null ? null : List.copyOf(shape);
    }

    /** Shape from a mix of Long/Integer (fixed) and String (symbolic) entries. */
    public static TensorType of(DataType elemType, Object... dims) {
        List<Dim> shape = new ArrayList<>();
        for (Object d : dims) {
            if (d instanceof Number n) {
                shape.add(Dim.of(n.longValue()));
            } else if (d instanceof String s) {
                shape.add(Dim.sym(s));
            } else if (d instanceof Dim dim) {
                shape.add(dim);
            } else {
                throw new IllegalArgumentException("dimension must be a number, a name or a Dim: " + d);
            }
        }
        return new TensorType(elemType, shape);
    }

    public int rank() {
        return shape == null ? -1 : shape.size();
    }

    public static TensorType fromProto(TypeProto type) {
        if (!type.hasTensorType()) {
            return null;
        }
        TypeProto.Tensor t = type.getTensorType();
        DataType elem = DataType.forNumber(t.getElemType());
        if (!t.hasShape()) {
            return new TensorType(elem, null);
        }
        List<Dim> dims = new ArrayList<>();
        for (TensorShapeProto.Dimension d : t.getShape().getDimList()) {
            if (d.hasDimValue()) {
                dims.add(Dim.of(d.getDimValue()));
            } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
                dims.add(Dim.sym(d.getDimParam()));
            } else {
                dims.add(Dim.unknown());
            }
        }
        return new TensorType(elem, dims);
    }

    public TypeProto toProto() {
        TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder().setElemType(elemType.getNumber());
        if (shape != null) {
            TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
            for (Dim d : shape) {
                TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
                if (d.param() != null) {
                    db.setDimParam(d.param());
                } else if (d.size() >= 0) {
                    db.setDimValue(d.size());
                }
                s.addDim(db);
            }
            t.setShape(s);
        }
        return TypeProto.newBuilder().setTensorType(t).build();
    }

    @Override
    public String toString() {
        String dims = shape == null ? "?" : shape.stream().map(Dim::toString).collect(Collectors.joining(",", "[", "]"));
        return ElemTypes.shortName(elemType) + dims;
    }
}
