/**
 * Query-index keys: one collation for JSON values and an order-preserving byte encoding of it,
 * so a prolly tree (which compares keys as unsigned bytes) keeps index entries in collation order.
 *
 * <h2>Collation</h2>
 * Written directly on JSON values by {@link dev.kiln.engine.index.Collation#compare}; like CouchDB's:
 * <ol>
 *   <li>by type: {@code null < false < true < numbers < strings < arrays < objects};</li>
 *   <li>numbers by exact numeric value: {@code 1}, {@code 1.0} and {@code 1e0} are equal, and
 *       {@code -0.0} equals {@code 0}. Accepted numbers are every 64-bit integer and every finite
 *       double; integers beyond 64 bits, decimals that are not exactly a double, NaN and infinities
 *       are refused with an {@link java.lang.IllegalArgumentException};</li>
 *   <li>strings by Unicode code point, which is also UTF-8 byte order. This is deliberately NOT
 *       CouchDB's ICU collation (where {@code "a" < "B"}): here {@code "B" < "a"}. Code point order
 *       is simple, deterministic and locale-free. A string with an unpaired surrogate is refused;</li>
 *   <li>arrays element by element; when one is a prefix of the other the shorter sorts first;</li>
 *   <li>objects pair by pair in their stored order, each pair by key (a string) then by value;
 *       when one's pairs are a prefix of the other's, the one with fewer pairs sorts first.</li>
 * </ol>
 *
 * <h2>Encoding</h2>
 * {@link dev.kiln.engine.index.Collation#encode} writes one type tag byte, then:
 * <ul>
 *   <li>null {@code 0x10}, false {@code 0x20}, true {@code 0x30}: the tag alone;</li>
 *   <li>number {@code 0x40}: a sign byte ({@code 0x01} negative, {@code 0x02} zero, {@code 0x03}
 *       positive); zero ends there. Otherwise the magnitude is written as {@code 1.f × 2^p}: two bytes
 *       of {@code p + 0x8000} big-endian, then eight bytes holding the fraction bits {@code f}
 *       left-aligned. For negatives those ten bytes are inverted, so larger magnitudes sort lower.
 *       The form is canonical: equal values encode identically, whatever their JSON spelling
 *       ({@code 1} and {@code 1.0} give the same bytes and decode as the integer {@code 1});</li>
 *   <li>string {@code 0x50}: UTF-8 with each {@code 0x00} byte written as {@code 0x00 0xFF}, then
 *       the terminator {@code 0x00 0x00}, so a prefix sorts before its extensions
 *       ("a" &lt; "a" followed by U+0000 &lt; "ab");</li>
 *   <li>array {@code 0x60}: each element's encoding, then the terminator {@code 0x00};</li>
 *   <li>object {@code 0x70}: for each pair the key's string encoding (with its tag) and the value's
 *       encoding, then the terminator {@code 0x00}.</li>
 * </ul>
 * The terminator {@code 0x00} sorts before every tag, so a shorter array or object sorts first.
 * Every encoding is self-delimiting: no encoding is a proper prefix of another value's encoding.
 *
 * <p>An index entry's key ({@link dev.kiln.engine.index.Collation#indexKey}) is the emitted key's
 * encoding followed by the document id in the string body form (escaped UTF-8 plus {@code 0x00
 * 0x00}, no tag), so entries sort by emitted key, then by document id. Because encodings are
 * self-delimiting, the bytes of {@code encode(K)} are a prefix of exactly the entries whose key
 * equals {@code K}; the helpers in {@link dev.kiln.engine.index.Collation} turn key equality, key
 * ranges and string prefixes into {@link dev.kiln.engine.tree.ScanOptions}:
 * <ul>
 *   <li>key {@code == K}: prefix {@code encode(K)};</li>
 *   <li>key {@code >= K}: start at {@code encode(K)}; key {@code > K}: start at {@code after(K)}
 *       ({@code encode(K)} plus {@code 0xFF}, which no document id body begins with, so it lies
 *       after every entry of {@code K} and before every greater key);</li>
 *   <li>key {@code <= K}: end before {@code after(K)}; key {@code < K}: end before {@code encode(K)};</li>
 *   <li>key is a string starting with {@code P}: prefix {@code 0x50} plus the escaped UTF-8 of
 *       {@code P}, without the terminator.</li>
 * </ul>
 * Decoding normalizes numbers: integral values within 64 bits come back as int or long nodes
 * ({@code 1.0} as {@code 1}, {@code -0.0} as {@code 0}), all others as doubles.
 */
package dev.kiln.engine.index;
