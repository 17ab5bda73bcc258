#!/usr/bin/python3
"""Prunes a botocore service model to the operations kura serves.

Usage: prune_model.py SERVICE_2_JSON OPS_FILE OUTPUT_JSON

Reads a botocore service-2.json (or service-2.json.gz), keeps `metadata`,
the operations listed in OPS_FILE (one name per line, '#' starts a comment)
and the closure of the shapes they reference (input, output, errors, and
recursively members / list members / map keys and values). Documentation
strings are dropped. Writes minified JSON in the model's own order (members
keep their declaration order, which responses follow; operations and shapes
stay in model order too, so the output is reproducible). Exits 1 with a
message when an operation is not in the model.
Standard library only: runs at build time with /usr/bin/python3.
"""

import gzip
import json
import os
import sys

_DROPPED_KEYS = ('documentation', 'documentationUrl', 'examples')


def _fail(message):
    sys.stderr.write('prune_model.py: error: %s\n' % message)
    sys.exit(1)


def _strip(value):
    """Returns `value` without documentation keys, recursively."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _DROPPED_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _read_ops(path):
    ops = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            for name in line.split():
                if name in ops:
                    _fail('%s:%d: operation %s listed twice' % (path, lineno, name))
                ops.append(name)
    if not ops:
        _fail('%s: no operations listed' % path)
    return ops


def _load_model(path):
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rt', encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        _fail('cannot read model %s: %s' % (path, e))


def _shape_refs(shape):
    refs = []
    for member in shape.get('members', {}).values():
        refs.append(member['shape'])
    for key in ('member', 'key', 'value'):
        if key in shape:
            refs.append(shape[key]['shape'])
    return refs


def prune(model, ops, model_path):
    operations = model.get('operations', {})
    shapes = model.get('shapes', {})
    missing = [op for op in ops if op not in operations]
    if missing:
        _fail('operation(s) not in model %s (api %s): %s' % (
            model_path, model.get('metadata', {}).get('apiVersion', '?'), ', '.join(missing)))

    kept_ops = {}
    pending = []
    for name in ops:
        op = operations[name]
        kept_ops[name] = op
        for key in ('input', 'output'):
            if key in op:
                pending.append(op[key]['shape'])
        for err in op.get('errors', []):
            pending.append(err['shape'])

    kept_shapes = {}
    while pending:
        name = pending.pop()
        if name in kept_shapes:
            continue
        if name not in shapes:
            _fail('model %s references unknown shape %s' % (model_path, name))
        kept_shapes[name] = shapes[name]
        pending.extend(_shape_refs(shapes[name]))

    return _strip({
        'version': model.get('version', '2.0'),
        'metadata': model.get('metadata', {}),
        'operations': {name: operations[name] for name in operations if name in kept_ops},
        'shapes': {name: shapes[name] for name in shapes if name in kept_shapes},
    })


def main(argv):
    if len(argv) != 4:
        _fail('usage: prune_model.py SERVICE_2_JSON OPS_FILE OUTPUT_JSON')
    model_path, ops_path, out_path = argv[1:]
    model = _load_model(model_path)
    pruned = prune(model, _read_ops(ops_path), model_path)
    text = json.dumps(pruned, separators=(',', ':'), ensure_ascii=False)
    tmp = out_path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, out_path)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
