"""Text dump of the IR (``.ir`` of a derivative function, ``show --ir`` on the command line).

The format is MLIR-like, one op a line, regions indented:

    %y = mul %x, 2.0                      # line 3
    %s_2 = for %i = range(0, %n, 1) iter(%s_1 = 0.0) {
      ...
      yield %s_3
    }
"""

from .ir import Assign, For, Function, If, Load, Prim, Region, Store, While


def _vals(values):
    return ", ".join(repr(v) for v in values)


def _attrs(attrs):
    if not attrs:
        return ""
    return " {" + ", ".join(f"{k}={v!r}" for k, v in sorted(attrs.items())) + "}"


def _lhs(op):
    return f"{_vals(op.results)} = " if op.results else ""


def _region_lines(region: Region, indent: str):
    lines = []
    for op in region.ops:
        lines.extend(_op_lines(op, indent))
    if region.yields:
        lines.append(f"{indent}yield {_vals(region.yields)}")
    return lines


def _op_lines(op, indent):
    where = f"    # line {op.line}" if op.line is not None else ""
    inner = indent + "  "
    if isinstance(op, Prim):
        return [f"{indent}{_lhs(op)}{op.name} {_vals(op.operands)}{_attrs(op.attrs)}{where}"]
    if isinstance(op, Load):
        arr, *idx = op.operands
        return [f"{indent}{_lhs(op)}load {arr!r}[{_vals(idx)}]{where}"]
    if isinstance(op, Store):
        arr, *idx, val = op.operands
        verb = "store_add" if op.accumulate else "store"
        return [f"{indent}{verb} {arr!r}[{_vals(idx)}], {val!r}{where}"]
    if isinstance(op, Assign):
        return [f"{indent}{_lhs(op)}{op.operands[0]!r}{where}"]
    if isinstance(op, If):
        lines = [f"{indent}{_lhs(op)}if {op.operands[0]!r} {{{where}"]
        lines += _region_lines(op.then, inner)
        lines.append(f"{indent}}} else {{")
        lines += _region_lines(op.orelse, inner)
        lines.append(f"{indent}}}")
        return lines
    if isinstance(op, For):
        start, stop, step = op.operands[:3]
        index, *carried = op.body.args
        it = ", ".join(f"{c!r} = {i!r}" for c, i in zip(carried, op.inits))
        lines = [f"{indent}{_lhs(op)}for {index!r} = range({_vals([start, stop, step])})"
                 f" iter({it}) {{{where}"]
        lines += _region_lines(op.body, inner)
        lines.append(f"{indent}}}")
        return lines
    if isinstance(op, While):
        it = ", ".join(f"{c!r} = {i!r}" for c, i in zip(op.cond.args, op.inits))
        lines = [f"{indent}{_lhs(op)}while iter({it}) {{{where}"]
        lines += _region_lines(op.cond, inner)
        lines.append(f"{indent}}} do ({_vals(op.body.args)}) {{")
        lines += _region_lines(op.body, inner)
        lines.append(f"{indent}}}")
        return lines
    raise TypeError(f"unknown op {type(op).__name__}")


def format_function(fn: Function) -> str:
    params = _vals(fn.params + fn.free_vars)
    head = f"func @{fn.name}({params}) {{"
    body = _region_lines(fn.body, "  ")
    if body and body[-1].lstrip().startswith("yield"):
        body[-1] = body[-1].replace("yield", "return", 1)
    return "\n".join([head, *body, "}"])



def format_dot(fn: Function) -> str:
    """The IR as a Graphviz DOT graph: one node per op, edges from each value's definition to
    its uses, one cluster per region (if branches, loop bodies)."""
    lines = [f'digraph "{fn.name}" {{', "  node [shape=box, fontname=monospace];"]
    defined = {}
    counter = [0]

    def node(label, shape="box"):
        counter[0] += 1
        name = f"n{counter[0]}"
        text = label.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'  {name} [label="{text}", shape={shape}];')
        return name

    for v in fn.params + fn.free_vars:
        defined[id(v)] = node(f"%{v.name}", "ellipse")

    def edges_into(target, values):
        for v in values:
            if id(v) in defined:
                lines.append(f"  {defined[id(v)]} -> {target};")

    def region(reg, title):
        counter[0] += 1
        lines.append(f'  subgraph cluster_{counter[0]} {{ label="{title}";')
        for v in reg.args:
            defined[id(v)] = node(f"%{v.name}", "ellipse")
        for op in reg.ops:
            label = (op.name if isinstance(op, Prim) else type(op).__name__.lower())
            target = node(f"{_lhs(op)}{label}")
            edges_into(target, op.operands)
            for v in op.results:
                defined[id(v)] = target
            for k, sub in enumerate(op.regions()):
                region(sub, f"{type(op).__name__.lower()} region {k}")
                edges_into(target, sub.yields)
        lines.append("  }")

    region(fn.body, fn.name)
    out = node("return", "ellipse")
    edges_into(out, fn.body.yields)
    lines.append("}")
    return "\n".join(lines)
