package dev.kiln.engine.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.engine.RecordingChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code fsync:} file system forces each write to the device before the write returns. */
class FsyncFileChannelTest {
  @TempDir Path temp;

  @Test
  void everyWriteIsForcedBeforeItReturns() throws IOException {
    Recording base = new Recording();
    FileChannel channel = new FsyncFileChannel(base);

    channel.write(bytes("chunk"), 4096);
    channel.write(bytes("header"));
    channel.write(new ByteBuffer[] {bytes("a"), bytes("b")}, 0, 2);
    channel.truncate(8192);

    assertThat(base.calls).containsExactly(
        "write@4096", "force(false)",
        "write", "force(false)",
        "write[2]", "force(false)",
        "truncate", "force(true)");
  }

  @Test
  void readsAreNotForced() throws IOException {
    Recording base = new Recording();
    FileChannel channel = new FsyncFileChannel(base);

    channel.read(ByteBuffer.allocate(16), 0);
    channel.size();

    assertThat(base.calls).containsExactly("read@0", "size");
  }

  @Test
  void writableMappingsAreRefusedBecauseTheyWouldBypassTheForce() {
    FileChannel channel = new FsyncFileChannel(new Recording());

    assertThatThrownBy(() -> channel.map(FileChannel.MapMode.READ_WRITE, 0, 16))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void anH2DatabaseUnderTheFsyncPrefixKeepsItsCommittedRows() throws Exception {
    FsyncFileSystem.register();
    String url = "jdbc:h2:" + FsyncFileSystem.SCHEME + ":" + temp.resolve("db") + ";WRITE_DELAY=0";

    try (Connection connection = DriverManager.getConnection(url, "sa", "");
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE TABLE t(n INT PRIMARY KEY)");
      statement.execute("INSERT INTO t VALUES (1), (2), (3)");
    }
    try (Connection connection = DriverManager.getConnection(url, "sa", "");
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM t")) {
      rows.next();
      assertThat(rows.getInt(1)).isEqualTo(3);
    }
    // The prefix is a file system, not part of the file name.
    assertThat(temp.resolve("db.mv.db")).isRegularFile();
    try (var names = Files.list(temp)) {
      assertThat(names.map(p -> p.getFileName().toString())).noneMatch(name -> name.contains("fsync"));
    }
  }

  @Test
  void throughTheFileSystemAFileIsCreatedDurablyAndEveryCommitIsForcedBeforeItReturns() throws Exception {
    RecordingFsyncFileSystem.registerRecording();
    String url = "jdbc:h2:" + RecordingFsyncFileSystem.SCHEME + ":" + temp.resolve("journal") + ";WRITE_DELAY=0";
    List<String> log = RecordingFsyncFileSystem.LOG;
    log.clear();
    try (Connection connection = DriverManager.getConnection(url, "sa", "");
        Statement statement = connection.createStatement()) {
      List<String> opened = RecordingChannel.folded(log);
      assertThat(opened).as("the new database file's name is made durable before its first write")
          .contains("force dir");
      int firstWrite = opened.indexOf("write journal.mv.db");
      assertThat(firstWrite < 0 || opened.indexOf("force dir") < firstWrite).as("order %s", opened).isTrue();

      statement.execute("CREATE TABLE t(n INT PRIMARY KEY)");
      for (int i = 0; i < 5; i++) {
        log.clear();
        statement.execute("INSERT INTO t VALUES (" + i + ")"); // one commit (auto-commit), as the journal's
        List<String> commit = RecordingChannel.folded(log);
        assertThat(commit).as("a commit writes").contains("write journal.mv.db");
        for (int j = 0; j < commit.size(); j++) {
          if (commit.get(j).startsWith("write ")) {
            assertThat(j + 1 < commit.size() ? commit.get(j + 1) : "(returned)")
                .as("what follows a write in %s", commit).isEqualTo("force " + commit.get(j).substring(6));
          }
        }
      }
    }
  }

  private static ByteBuffer bytes(String text) {
    return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
  }

  /** A channel that only records which calls reach it. */
  private static final class Recording extends FileChannel {
    final List<String> calls = new ArrayList<>();

    @Override
    public int read(ByteBuffer dst) {
      calls.add("read");
      return -1;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) {
      calls.add("read[" + length + "]");
      return -1;
    }

    @Override
    public int read(ByteBuffer dst, long position) {
      calls.add("read@" + position);
      return -1;
    }

    @Override
    public int write(ByteBuffer src) {
      calls.add("write");
      return consume(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
      calls.add("write[" + length + "]");
      long written = 0;
      for (int i = offset; i < offset + length; i++) {
        written += consume(srcs[i]);
      }
      return written;
    }

    @Override
    public int write(ByteBuffer src, long position) {
      calls.add("write@" + position);
      return consume(src);
    }

    @Override
    public long position() {
      return 0;
    }

    @Override
    public FileChannel position(long newPosition) {
      return this;
    }

    @Override
    public long size() {
      calls.add("size");
      return 0;
    }

    @Override
    public FileChannel truncate(long size) {
      calls.add("truncate");
      return this;
    }

    @Override
    public void force(boolean metaData) {
      calls.add("force(" + metaData + ")");
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
      throw new UnsupportedOperationException();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
      throw new UnsupportedOperationException();
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) {
      throw new UnsupportedOperationException();
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) {
      throw new UnsupportedOperationException();
    }

    @Override
    protected void implCloseChannel() {}

    private static int consume(ByteBuffer src) {
      int n = src.remaining();
      src.position(src.limit());
      return n;
    }
  }
}
