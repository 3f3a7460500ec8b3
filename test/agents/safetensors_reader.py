"""Independent reader of the safetensors layout (Debian has no python3-safetensors): 8-byte little-endian
header length, JSON header {name: {dtype, shape, data_offsets}} plus optional __metadata__, raw data.
Prints JSON: {"metadata": {...}, "tensors": {name: {"shape": [...], "values": [...]}}}. Stdlib only."""
import json
import struct
import sys

path = sys.argv[1]
with open(path, "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8 : 8 + n].decode("utf-8"))
assert (8 + n) % 8 == 0, "data section should start 8-byte aligned"
data = raw[8 + n :]
out = {"metadata": header.pop("__metadata__", {}), "tensors": {}}
end_max = 0
for name, t in header.items():
    assert t["dtype"] == "F32", t["dtype"]
    b, e = t["data_offsets"]
    count = 1
    for s in t["shape"]:
        count *= s
    assert e - b == 4 * count, (name, b, e, count)
    end_max = max(end_max, e)
    out["tensors"][name] = {"shape": t["shape"], "values": list(struct.unpack("<%df" % count, data[b:e]))}
assert end_max == len(data), "trailing bytes after the last tensor"
print(json.dumps(out))
