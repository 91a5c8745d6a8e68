/**
 * Kiln's content-addressed sorted map, a prolly tree: the id tree ({@code _id} to the document's
 * block and sequence), the by-sequence tree (sequence to {@code _id}) and every index tree (collated key bytes to
 * value) are all instances of it. {@link dev.kiln.engine.tree.ProllyTree} is the entry point.
 *
 * <h2>Keys and values</h2>
 *
 * Keys are byte strings, ordered unsigned-lexicographically
 * ({@link dev.kiln.engine.tree.ProllyTree#KEY_ORDER}); the empty key is the smallest. Values are
 * IPLD data model values as {@link dev.kiln.engine.block.DagCbor} encodes them (usually a CID or a
 * small map). A value is never null: removing a key is an explicit
 * {@link dev.kiln.engine.tree.Mutation.Delete}.
 *
 * <h2>Node format (DAG-CBOR, one block per node)</h2>
 *
 * <pre>
 *   { "k": [ key, … ],     byte strings, strictly ascending in key order
 *     "l": level,          unsigned integer: 0 for a leaf, parent = child + 1
 *     "v": [ value, … ] }  as many as keys
 * </pre>
 *
 * In a leaf, {@code v[i]} is the value stored under {@code k[i]}. In a branch, {@code v[i]} is a
 * link (CID, dag-cbor) to a child one level down and {@code k[i]} is that child's first key, which
 * is also the smallest key in its subtree. Map keys are in DAG-CBOR order ({@code k}, {@code l},
 * {@code v}), so equal nodes are equal bytes and have equal CIDs. Only the root may be empty: the
 * empty tree is one empty leaf, {@code {"k": [], "l": 0, "v": []}}, so every tree has a root CID.
 * A branch always has at least one child, and a root branch at least two.
 *
 * <h2>Shape: the boundary rule</h2>
 *
 * The tree is a pure function of its set of entries (history independence): the same entries give
 * the same root CID whatever the writes that led there. Level 0 is the sorted list of entries; it
 * is cut into nodes, each node ending after its {@code c}-th entry, with key {@code k}, when
 *
 * <pre>
 *   h(level, k) = first 4 bytes of SHA-256(byte(level) ++ k), read as a big-endian unsigned integer
 *   boundary    ⇔  c &gt;= 6  and  h(level, k) &lt; floor(2^32 / 4) = 1073741824
 * </pre>
 *
 * or after the 32nd entry of a node that has reached that size without a boundary (a cap, so
 * keys picked to dodge boundaries cannot make one huge node; random keys reach it about once in
 * 1,700 nodes). The count starts at the node's first entry, which the entries before it fix, so
 * the cut is still a function of the entries. The last node of a level ends at the level's last entry. Level {@code l + 1} has one entry
 * per node of level {@code l}, its first key and its CID, and is cut the same way with the level
 * number in the hash. The first level with a single node holds the root.
 *
 * <p>The hash looks at the key only, so changing a value never moves a boundary; the level salt
 * makes each level chunk independently. A node holds 9 entries on average (at least 6, then a
 * geometric tail), so a tree of {@code n} entries has about {@code log9(n) + 1} levels: 5 for 20
 * thousand entries, 7 for a million. Small, even nodes keep what one change rewrites small (about
 * height × node bytes; see bench/README.md, "Where a one-document commit's bytes go"). These
 * constants (SHA-256, the level byte, 6, 4, 32) are part of the on-disk format (commit format 2;
 * format 1 cut at 48 on average, no minimum, a cap of 1024) and must never change: a tree cut
 * differently still reads, but no longer has the canonical root CID for its entries.
 *
 * <h2>Costs</h2>
 *
 * <ul>
 *   <li>{@code get} reads one node per level.
 *   <li>{@code scan} descends once, then walks leaves: {@code height + limit/9} nodes or so, and
 *       never steps into a subtree its parent's keys place beyond the range.
 *   <li>{@code apply} reads and rewrites only the nodes on the paths to the changed keys, plus a
 *       neighbour where a change removes a boundary (the nodes merge): about one new node per level
 *       per changed key, all other nodes shared by CID. It never reads the whole tree.
 *   <li>{@code diff} skips subtrees whose CIDs match on both sides.
 *   <li>{@code walk} and {@code count} read every node.
 * </ul>
 *
 * <h2>Caching</h2>
 *
 * Every read decodes the nodes it reads. A {@link dev.kiln.engine.block.BlockSource} that also
 * implements {@link dev.kiln.engine.tree.DecodedNodeCache} is asked for decoded nodes first and
 * offered each node it decodes; nothing requires one.
 *
 * <h2>Scans</h2>
 *
 * {@link dev.kiln.engine.tree.ScanOptions} follows CouchDB: {@code start} is where the scan begins,
 * so with {@code descending} it is the HIGH bound and {@code end} the low one.
 *
 * <h2>Errors</h2>
 *
 * A block reached as a node that does not follow this format (including a root CID naming some
 * other block) gives {@link dev.kiln.engine.tree.CorruptTreeException} naming its CID and where it
 * was reached from; a block the {@link dev.kiln.engine.block.BlockSource} cannot find gives
 * {@link dev.kiln.engine.block.MissingBlockException}. Bad arguments (null keys or values, a batch
 * out of order, a value DAG-CBOR cannot hold) give {@link java.lang.IllegalArgumentException}
 * naming the key; nothing is written in that case, as writing is only ever the caller storing the
 * returned blocks.
 */
package dev.kiln.engine.tree;
