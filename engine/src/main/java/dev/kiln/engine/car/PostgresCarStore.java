package dev.kiln.engine.car;

import dev.kiln.engine.block.Block;
import dev.kiln.protocol.Cid;
import dev.kiln.protocol.InvalidCidException;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The CARs of one database in PostgreSQL ({@link PostgresCarStorage} describes the tables), so that any
 * node of a cluster can serve the database.
 *
 * <ul>
 *   <li><b>Write</b>: one transaction. The CAR streams from {@link CarWriter} into rows of
 *       {@code chunk_bytes} each (one chunk in memory, whatever the CAR's size), then its
 *       {@code kiln_car} row, holding its block index, is inserted last and the transaction commits.
 *       {@link #write} returns after the commit, so the CAR is durable (PostgreSQL's WAL flush on
 *       commit) before any event can name it, the promise {@link FileCarStore} keeps with fsync. A
 *       write that fails or is cut off (the process dies, the connection drops) is rolled back and
 *       leaves nothing; there are no temp files to remove.
 *   <li><b>Open</b> reads the stored index ({@link PostgresCarIndex}) and the CAR's size (from the
 *       chunks' lengths, which PostgreSQL keeps in each value's header) and no CAR bytes; an index that
 *       fails its checks (checksum, size, order, roots) is rebuilt from the bytes and stored again.
 *   <li><b>Read</b>: a byte range, from the chunks it spans, with {@code substring} on the server, and
 *       every block verified against its CID. {@link #readMany} reads blocks that lie close together
 *       with one range.
 *   <li><b>Write and delete are fenced</b> when the store was made with an epoch: see
 *       {@link PostgresCarStorage#claim}.
 * </ul>
 *
 * <p>Errors name the CAR as {@code postgres:<db>/<car-cid>.car}. A failure of PostgreSQL itself (down,
 * unreachable, out of connections) is a {@link CarStoreException}, which callers see as STORAGE;
 * nothing is changed by a failed call, and the store works again once PostgreSQL is back.
 */
public final class PostgresCarStore implements CarStore {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final String INSERT_CHUNK = "INSERT INTO kiln_car_chunk (upload, seq, data) VALUES (?, ?, ?)";
  private static final String INSERT_CAR = "INSERT INTO kiln_car (db, car, upload, chunk_bytes, byte_size, roots, idx,"
      + " idx_crc) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (db, car) DO NOTHING";
  private static final String FENCE = "SELECT epoch FROM kiln_car_owner WHERE db = ? FOR SHARE";
  /**
   * The part of each chunk that lies in [start, end): chunk k holds bytes [k·C, k·C + C). A left join,
   * so a CAR that exists but has no chunk in the range gives one row with a null seq.
   */
  private static final String READ_RANGE = "SELECT c.chunk_bytes, k.seq,"
      + " substring(k.data FROM (greatest(?::bigint - k.seq::bigint * c.chunk_bytes, 0) + 1)::int"
      + "   FOR (least(?::bigint - k.seq::bigint * c.chunk_bytes, c.chunk_bytes)"
      + "        - greatest(?::bigint - k.seq::bigint * c.chunk_bytes, 0))::int)"
      + " FROM kiln_car c LEFT JOIN kiln_car_chunk k ON k.upload = c.upload"
      + "   AND k.seq BETWEEN ?::bigint / c.chunk_bytes AND (?::bigint - 1) / c.chunk_bytes"
      + " WHERE c.db = ? AND c.car = ? ORDER BY k.seq";
  private static final String SIZE_OF = "(SELECT coalesce(sum(length(k.data)), 0) FROM kiln_car_chunk k"
      + " WHERE k.upload = c.upload)";

  private final PostgresCarStorage storage;
  private final String db;
  private final long epoch;
  private volatile boolean closed;

  PostgresCarStore(PostgresCarStorage storage, String db, long epoch) {
    this.storage = storage;
    this.db = db;
    this.epoch = epoch;
  }

  /** The database name whose CARs this store holds. */
  public String db() {
    return db;
  }

  /** The fencing epoch this store writes and deletes under; 0 for an unfenced store. */
  public long epoch() {
    return epoch;
  }

  /** How errors name a CAR of this store. */
  public String nameOf(Cid car) {
    return "postgres:" + db + "/" + car + ".car";
  }

  /**
   * One transaction: chunks, fence, the {@code kiln_car} row, commit. Blocks already in memory (a
   * {@link Collection}: a commit's) stream straight into it. Blocks made as they are asked for (a format
   * migration's second pass, a compaction's walk) read this store's other CARs meanwhile, for as long
   * as the pass takes: they are spooled to a local file first, so that the transaction, and the
   * connection it holds, span only the copy. Held across the pass, it would sit idle in transaction
   * (which {@code idle_in_transaction_session_timeout} ends), hold back vacuum, and keep a connection
   * from the reads the pass itself makes (with a pool of one, they would wait for it and fail).
   */
  @Override
  public CarIndex write(List<Cid> roots, Iterable<Block> blocks) {
    checkOpen();
    if (blocks instanceof Collection<?>) {
      return commit(out -> CarWriter.write(roots, blocks, out));
    }
    Path spool = null;
    try {
      spool = storage.spoolFile(db);
      CarIndex index;
      try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(spool))) {
        index = CarWriter.write(roots, blocks, file);
      }
      Path written = spool;
      return commit(out -> {
        Files.copy(written, out);
        return index;
      });
    } catch (IOException e) {
      throw new CarStoreException(spool == null ? "postgres:" + db + "/(new CAR)" : spool.toString(),
          "cannot spool a new CAR before it goes to PostgreSQL", e);
    } finally {
      deleteQuietly(spool);
    }
  }

  /** Writes a CAR's bytes into {@code out}; returns its index. */
  private interface CarBytes {
    CarIndex writeTo(OutputStream out) throws IOException;
  }

  private CarIndex commit(CarBytes bytes) {
    String step = "cannot write a new CAR";
    String name = "postgres:" + db + "/(new CAR)";
    try (Connection c = connection()) {
      c.setAutoCommit(false);
      try {
        long upload = RANDOM.nextLong() & Long.MAX_VALUE;
        CarIndex index;
        try (ChunkOutput out = new ChunkOutput(c, upload, storage.chunkBytes())) {
          index = bytes.writeTo(out);
          out.finish();
        }
        name = nameOf(index.car());
        step = "cannot record CAR " + index.car();
        fence(c, index.car());
        int inserted;
        PostgresCarIndex.Row row = PostgresCarIndex.encode(index);
        try (PreparedStatement s = c.prepareStatement(INSERT_CAR)) {
          s.setString(1, db);
          s.setString(2, index.car().toString());
          s.setLong(3, upload);
          s.setInt(4, storage.chunkBytes());
          s.setLong(5, row.byteSize());
          s.setString(6, row.roots());
          s.setBytes(7, row.idx());
          s.setInt(8, row.crc());
          inserted = s.executeUpdate();
        }
        if (inserted == 0) {
          // Same name, same content: the CAR is already here; drop this copy's chunks.
          c.rollback();
          return index;
        }
        step = "cannot commit CAR " + index.car();
        c.commit();
        return index;
      } catch (RuntimeException | SQLException | IOException e) {
        rollbackQuietly(c);
        throw e;
      }
    } catch (SQLException | IOException e) {
      throw new CarStoreException(name, "PostgreSQL: " + step, e);
    }
  }

  /**
   * Loads the stored index when it checks out against the CAR's size now, reading none of the CAR's
   * bytes; otherwise rebuilds it as {@link #check} does and stores it again (best effort).
   */
  @Override
  public CarIndex open(Cid car) {
    checkOpen();
    try {
      return storedIndex(car);
    } catch (IllegalArgumentException e) {
      // Damaged or stale: the CAR's bytes are the truth.
    }
    CarIndex index = check(car);
    PostgresCarIndex.Row rebuilt = PostgresCarIndex.encode(index);
    try (Connection c = connection(); PreparedStatement s = c.prepareStatement(
        "UPDATE kiln_car SET byte_size = ?, roots = ?, idx = ?, idx_crc = ? WHERE db = ? AND car = ?")) {
      s.setLong(1, rebuilt.byteSize());
      s.setString(2, rebuilt.roots());
      s.setBytes(3, rebuilt.idx());
      s.setInt(4, rebuilt.crc());
      s.setString(5, db);
      s.setString(6, car.toString());
      s.executeUpdate();
    } catch (SQLException e) {
      // Best effort: the next open rebuilds it again.
    }
    return index;
  }

  /** The CAR's stored index row, checked against the CAR's size now; IllegalArgumentException says why it does not fit. */
  private CarIndex storedIndex(Cid car) {
    PostgresCarIndex.Row row;
    long size;
    try (Connection c = connection(); PreparedStatement s = c.prepareStatement(
        "SELECT c.roots, c.byte_size, c.idx, c.idx_crc, " + SIZE_OF + " FROM kiln_car c WHERE c.db = ? AND c.car = ?")) {
      s.setString(1, db);
      s.setString(2, car.toString());
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          throw new CarNotFoundException(car, nameOf(car));
        }
        row = new PostgresCarIndex.Row(r.getString(1), r.getLong(2), r.getBytes(3), r.getInt(4));
        size = r.getLong(5);
      }
    } catch (SQLException e) {
      throw new CarStoreException(nameOf(car), "PostgreSQL: cannot open CAR " + car, e);
    }
    return PostgresCarIndex.decode(car, row, size);
  }

  /** The stored index row against the index read from the CAR's bytes (an open would trust the row). */
  @Override
  public String storedIndexProblem(Cid car, CarIndex truth) {
    checkOpen();
    String where = "the stored index of CAR " + car + " (kiln_car row of " + nameOf(car) + ")";
    try {
      return storedIndex(car).equals(truth) ? null : where + " is wrong: it does not match the CAR's blocks";
    } catch (IllegalArgumentException e) {
      return where + " is wrong: " + e.getMessage();
    }
  }

  /** Streams every chunk (one in memory at a time), verifies every block and the whole CAR against {@code car}. */
  @Override
  public CarIndex check(Cid car) {
    checkOpen();
    long upload;
    long size;
    try (Connection c = connection();
        PreparedStatement s = c.prepareStatement("SELECT c.upload, " + SIZE_OF + " FROM kiln_car c WHERE c.db = ? AND c.car = ?")) {
      s.setString(1, db);
      s.setString(2, car.toString());
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          throw new CarNotFoundException(car, nameOf(car));
        }
        upload = r.getLong(1);
        size = r.getLong(2);
      }
    } catch (SQLException e) {
      throw new CarStoreException(nameOf(car), "PostgreSQL: cannot read CAR " + car, e);
    }
    try (InputStream in = new ChunkInput(car, upload)) {
      return CarReader.index(nameOf(car), in, size, car);
    } catch (IOException e) {
      throw new CarStoreException(nameOf(car), "PostgreSQL: cannot read CAR " + car, e);
    }
  }

  @Override
  public Block read(Cid car, Cid block, BlockLocation at) {
    checkOpen();
    byte[] bytes = readRange(car, at.offset(), at.length(), block);
    return Block.verified(block, bytes, "CAR " + nameOf(car) + ", block bytes at offset " + at.offset());
  }

  /** Reads runs of blocks that lie close together with one range each ({@link SpanPlanner}). */
  @Override
  public List<Block> readMany(Cid car, List<Cid> blocks, List<BlockLocation> at) {
    checkOpen();
    return SpanPlanner.readMany(blocks, at, (offset, length, first) -> readRange(car, offset, length, first),
        (block, loc) -> read(car, block, loc), "CAR " + nameOf(car));
  }

  /** Exactly {@code length} bytes from {@code offset}, naming {@code block} in errors. */
  private byte[] readRange(Cid car, long offset, int length, Cid block) {
    long end = offset + length;
    byte[] bytes = new byte[length];
    int filled = 0;
    try (Connection c = connection(); PreparedStatement s = c.prepareStatement(READ_RANGE)) {
      s.setLong(1, offset);
      s.setLong(2, end);
      s.setLong(3, offset);
      s.setLong(4, offset);
      s.setLong(5, length == 0 ? offset + 1 : end);
      s.setString(6, db);
      s.setString(7, car.toString());
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          throw new CarNotFoundException(car, nameOf(car));
        }
        if (length == 0) {
          return bytes;
        }
        long expected = offset / r.getInt(1);
        do {
          if (r.getObject(2) == null || r.getLong(2) != expected) {
            break;
          }
          byte[] piece = r.getBytes(3);
          int n = Math.min(piece.length, length - filled);
          System.arraycopy(piece, 0, bytes, filled, n);
          filled += n;
          expected++;
        } while (filled < length && r.next());
      }
    } catch (SQLException e) {
      throw new CarStoreException(nameOf(car), offset, block, "PostgreSQL: cannot read block", e);
    }
    if (filled < length) {
      throw new CarFormatException(nameOf(car), offset, block, "block of " + length + " bytes runs past the end of"
          + " the stored CAR (" + filled + " of its bytes are there): the CAR is truncated");
    }
    return bytes;
  }

  @Override
  public boolean exists(Cid car) {
    checkOpen();
    try (Connection c = connection();
        PreparedStatement s = c.prepareStatement("SELECT 1 FROM kiln_car WHERE db = ? AND car = ?")) {
      s.setString(1, db);
      s.setString(2, car.toString());
      try (ResultSet r = s.executeQuery()) {
        return r.next();
      }
    } catch (SQLException e) {
      throw new CarStoreException(nameOf(car), "PostgreSQL: cannot look up CAR " + car, e);
    }
  }

  @Override
  public List<Cid> list() {
    checkOpen();
    List<Cid> cars = new ArrayList<>();
    try (Connection c = connection(); PreparedStatement s = c.prepareStatement("SELECT car FROM kiln_car WHERE db = ?")) {
      s.setString(1, db);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          try {
            cars.add(Cid.parse(r.getString(1)));
          } catch (InvalidCidException e) {
            // Not a row this store wrote; leave it alone.
          }
        }
      }
    } catch (SQLException e) {
      throw new CarStoreException("postgres:" + db, "PostgreSQL: cannot list the CARs", e);
    }
    cars.sort(null);
    return cars;
  }

  /** Removes the CAR's row and its chunks in one transaction (fenced); removing one that is not there does nothing. */
  @Override
  public void delete(Cid car) {
    checkOpen();
    try (Connection c = connection()) {
      c.setAutoCommit(false);
      try {
        fence(c, car);
        try (PreparedStatement s = c.prepareStatement("WITH gone AS (DELETE FROM kiln_car WHERE db = ? AND car = ?"
            + " RETURNING upload) DELETE FROM kiln_car_chunk WHERE upload IN (SELECT upload FROM gone)")) {
          s.setString(1, db);
          s.setString(2, car.toString());
          s.executeUpdate();
        }
        c.commit();
      } catch (RuntimeException | SQLException e) {
        rollbackQuietly(c);
        throw e;
      }
    } catch (SQLException e) {
      throw new CarStoreException(nameOf(car), "PostgreSQL: cannot delete CAR " + car, e);
    }
  }

  /** The CAR's size as its chunks have it now. */
  @Override
  public long size(Cid car) {
    checkOpen();
    try (Connection c = connection();
        PreparedStatement s = c.prepareStatement("SELECT " + SIZE_OF + " FROM kiln_car c WHERE c.db = ? AND c.car = ?")) {
      s.setString(1, db);
      s.setString(2, car.toString());
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          throw new CarNotFoundException(car, nameOf(car));
        }
        return r.getLong(1);
      }
    } catch (SQLException e) {
      throw new CarStoreException(nameOf(car), "PostgreSQL: cannot read the size of CAR " + car, e);
    }
  }

  /** Closes this database's store; the pool is {@link PostgresCarStorage}'s and stays open. */
  @Override
  public void close() {
    closed = true;
  }

  /**
   * In the caller's transaction: locks the owner row against a claim until commit, and refuses when
   * the database's epoch is no longer this store's. Unfenced stores (epoch 0) skip it.
   */
  private void fence(Connection c, Cid car) throws SQLException {
    if (epoch == 0) {
      return;
    }
    long current = 0;
    try (PreparedStatement s = c.prepareStatement(FENCE)) {
      s.setString(1, db);
      try (ResultSet r = s.executeQuery()) {
        if (r.next()) {
          current = r.getLong(1);
        }
      }
    }
    if (current != epoch) {
      throw new CarStoreFencedException(nameOf(car), car, db, epoch, current);
    }
  }

  private Connection connection() throws SQLException {
    return storage.pool().getConnection();
  }

  private static void deleteQuietly(Path file) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // removeTempFiles takes it at the next open
    }
  }

  /** Spool files a write cut off by a crash left behind (see {@link #write}); the rows need nothing: a cut-off transaction left none. */
  @Override
  public int removeTempFiles() {
    return storage.removeSpoolFiles(db);
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      // The connection is broken: PostgreSQL rolls the transaction back when it goes.
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new CarStoreException("postgres:" + db, "the store is closed", null);
    }
  }

  /** Cuts what it is given into rows of {@code chunkBytes}, holding one row's bytes at a time. */
  private static final class ChunkOutput extends OutputStream {
    private final PreparedStatement insert;
    private final long upload;
    private final byte[] buffer;
    private int buffered;
    private int seq;

    ChunkOutput(Connection c, long upload, int chunkBytes) throws SQLException {
      this.insert = c.prepareStatement(INSERT_CHUNK);
      this.upload = upload;
      this.buffer = new byte[chunkBytes];
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        int n = Math.min(len, buffer.length - buffered);
        System.arraycopy(b, off, buffer, buffered, n);
        buffered += n;
        off += n;
        len -= n;
        if (buffered == buffer.length) {
          flushChunk();
        }
      }
    }

    /** Sends the last, shorter chunk; an empty CAR has no bytes, a CAR always has a header. */
    void finish() throws IOException {
      if (buffered > 0) {
        flushChunk();
      }
    }

    private void flushChunk() throws IOException {
      try {
        insert.setLong(1, upload);
        insert.setInt(2, seq++);
        insert.setBinaryStream(3, new ByteArrayInputStream(buffer, 0, buffered), buffered);
        insert.executeUpdate();
        buffered = 0;
      } catch (SQLException e) {
        throw new IOException("cannot insert chunk " + (seq - 1) + " of upload " + upload, e);
      }
    }

    @Override
    public void close() throws IOException {
      try {
        insert.close();
      } catch (SQLException e) {
        throw new IOException(e);
      }
    }
  }

  /** A CAR's bytes, fetched one chunk (one query) at a time. */
  private final class ChunkInput extends InputStream {
    private final Cid car;
    private final long upload;
    private byte[] chunk = new byte[0];
    private int at;
    private int seq;
    private boolean end;

    ChunkInput(Cid car, long upload) {
      this.car = car;
      this.upload = upload;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (at == chunk.length) {
        if (end || !next()) {
          return -1;
        }
      }
      int n = Math.min(len, chunk.length - at);
      System.arraycopy(chunk, at, b, off, n);
      at += n;
      return n;
    }

    private boolean next() throws IOException {
      try (Connection c = connection();
          PreparedStatement s = c.prepareStatement("SELECT data FROM kiln_car_chunk WHERE upload = ? AND seq = ?")) {
        s.setLong(1, upload);
        s.setInt(2, seq);
        try (ResultSet r = s.executeQuery()) {
          if (!r.next()) {
            end = true;
            return false;
          }
          chunk = r.getBytes(1);
          at = 0;
          seq++;
          return true;
        }
      } catch (SQLException e) {
        throw new IOException("PostgreSQL: cannot read chunk " + seq + " of " + nameOf(car), e);
      }
    }
  }
}
