package dev.kiln.engine.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.RecordingChannel;
import dev.kiln.engine.TestTime;
import dev.kiln.engine.config.KilnConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Journal} prepares Kiln's embedded journal, idempotently, or says clearly why it cannot. */
class JournalTest {
  /** Generous and scaled: 20 s was too short for an fsynced H2 commit at load average 46. */
  private static final Duration TIMEOUT = TestTime.dilated(Duration.ofMinutes(2));

  @TempDir Path temp;

  @Test
  void theJournalUrlLivesUnderTheDataDirAndWritesEachCommitBeforeItReturns() {
    Config config = kilnConfig(Path.of("/srv/kiln"));

    assertThat(Journal.url(config))
        .isEqualTo("jdbc:h2:fsync:/srv/kiln/journal/kiln;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=4");
    KilnPersistence persistence = KilnPersistence.from(config);
    assertThat(persistence.journalPluginId()).isEqualTo("kiln.persistence.journal");
    assertThat(persistence.snapshotPluginId()).isEqualTo("kiln.persistence.snapshot-store");
    assertThat(config.getString("pekko.actor.serialization-bindings.\"dev.kiln.protocol.KilnSerializable\""))
        .isEqualTo("jackson-cbor");
  }

  @Test
  void theShippedJournalPutsEachEventOnTheDeviceBeforeItIsAcknowledged() {
    Config shipped = kilnConfig(temp.resolve("data"));
    String url = Journal.url(shipped);
    assertThat(url).startsWith("jdbc:h2:" + FsyncFileSystem.SCHEME + ":" + temp.resolve("data").resolve("journal"));

    // The same URL and settings, with the fsync: file system under a scheme that logs what reaches the device.
    RecordingFsyncFileSystem.registerRecording();
    String recorded = url.replaceFirst("^jdbc:h2:" + FsyncFileSystem.SCHEME + ":", "jdbc:h2:" + RecordingFsyncFileSystem.SCHEME + ":");
    ActorTestKit kit = ActorTestKit.create("journal-durable", ConfigFactory.parseMap(Map.of(
        "kiln.journal.url", recorded)).withFallback(shipped));
    List<String> log = RecordingFsyncFileSystem.LOG;
    try {
      Journal.prepare(kit.system(), TIMEOUT);
      ActorRef<SequenceLog.Command> events = kit.spawn(SequenceLog.create());
      TestProbe<Long> acks = kit.createTestProbe();
      for (long n = 1; n <= 3; n++) {
        log.clear();
        events.tell(new SequenceLog.Append(n, acks.ref()));
        acks.expectMessage(TIMEOUT, n);
        List<String> persisted = RecordingChannel.folded(log);
        assertThat(persisted).as("event %d reached the journal file before its ack", n).contains("write kiln.mv.db");
        for (int j = 0; j < persisted.size(); j++) {
          if (persisted.get(j).startsWith("write ")) {
            assertThat(j + 1 < persisted.size() ? persisted.get(j + 1) : "(acknowledged)")
                .as("what follows a write in %s", persisted).isEqualTo("force " + persisted.get(j).substring(6));
          }
        }
      }
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void theUrlIsDerivedWhenAskedFromTheDataDirSetLastAndARelativeDirIsMadeAbsolute() {
    Config loaded = kilnConfig(Path.of("/srv/kiln"));
    Config moved = loaded.withValue("kiln.data-dir", com.typesafe.config.ConfigValueFactory.fromAnyRef("/srv/other"));
    assertThat(Journal.url(moved)).startsWith("jdbc:h2:fsync:/srv/other/journal/kiln;");

    Config relative = loaded.withValue("kiln.data-dir", com.typesafe.config.ConfigValueFactory.fromAnyRef("rel/./data"));
    Path absolute = Path.of("").toAbsolutePath().resolve("rel/data");
    assertThat(KilnPersistence.from(relative).dataDir()).isEqualTo(absolute);
    assertThat(Journal.url(relative)).startsWith("jdbc:h2:fsync:" + absolute.resolve("journal/kiln") + ";");
  }

  @Test
  void eventsMarkedKilnSerializableAreStoredAsJacksonCbor() {
    ActorTestKit kit = ActorTestKit.create("journal-serialization", kilnConfig(temp.resolve("data")));
    try {
      Serializer serializer = SerializationExtension.get(kit.system()).findSerializerFor(new SequenceLog.Appended(1));
      assertThat(serializer).isInstanceOf(JacksonCborSerializer.class);
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void prepareCreatesTheSchemaOnceAndKeepsEventsAcrossRestarts() {
    Path dataDir = temp.resolve("data");

    ActorTestKit first = ActorTestKit.create("journal-first", kilnConfig(dataDir));
    try {
      Journal.prepare(first.system(), TIMEOUT);
      Journal.prepare(first.system(), TIMEOUT);
      ActorRef<SequenceLog.Command> log = first.spawn(SequenceLog.create());
      TestProbe<Long> acks = first.createTestProbe();
      for (long n = 1; n <= 3; n++) {
        log.tell(new SequenceLog.Append(n, acks.ref()));
        acks.expectMessage(TIMEOUT, n);
      }
    } finally {
      first.shutdownTestKit();
    }
    assertThat(dataDir.resolve("journal/kiln.mv.db")).isRegularFile();

    ActorTestKit second = ActorTestKit.create("journal-second", kilnConfig(dataDir));
    try {
      // The schema exists now: preparing again must neither fail nor touch the events.
      Journal.prepare(second.system(), TIMEOUT);
      assertThat(SequenceLog.recover(second, TIMEOUT)).isEqualTo(new SequenceLog.State(3, 3, 0));
    } finally {
      second.shutdownTestKit();
    }
  }

  @Test
  void withAnotherJournalPluginThereIsNothingToPrepare() throws Exception {
    Path notADirectory = Files.writeString(temp.resolve("plain-file"), "not a directory");
    Config inMemoryJournal = PersistenceTestKitPlugin.getInstance().config()
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.parseMap(Map.of(
            "kiln.journal.plugin-id", PersistenceTestKitPlugin.PluginId(),
            "kiln.journal.snapshot-plugin-id", PersistenceTestKitSnapshotPlugin.PluginId())))
        .withFallback(kilnConfig(notADirectory));

    ActorTestKit kit = ActorTestKit.create("journal-in-memory", inMemoryJournal);
    try {
      // The data dir is unusable, so this passes only if the H2 journal is never opened.
      Journal.prepare(kit.system(), TIMEOUT);
      assertThat(SequenceLog.recover(kit, TIMEOUT)).isEqualTo(new SequenceLog.State(0, 0, 0));
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aDataDirThatIsAFileGivesJournalUnavailableNamingTheUrl() throws Exception {
    Path notADirectory = Files.writeString(temp.resolve("plain-file"), "not a directory");

    ActorTestKit kit = ActorTestKit.create("journal-blocked", kilnConfig(notADirectory));
    try {
      String url = Journal.url(kit.system().settings().config());
      assertThatThrownBy(() -> Journal.prepare(kit.system(), TIMEOUT))
          .isInstanceOf(JournalUnavailableException.class)
          .hasMessageContaining(url)
          .satisfies(e -> assertThat(((JournalUnavailableException) e).url()).isEqualTo(url));
    } finally {
      kit.shutdownTestKit();
    }
    assertThat(Files.readString(notADirectory)).isEqualTo("not a directory");
  }

  @Test
  void aJournalFileThatIsNotAnH2DatabaseIsReportedAndLeftAsItWas() throws Exception {
    Path dataDir = temp.resolve("data");
    Path journalFile = Files.createDirectories(dataDir.resolve("journal")).resolve("kiln.mv.db");
    byte[] garbage = "this is not an H2 database file ".repeat(200).getBytes(StandardCharsets.US_ASCII);
    Files.write(journalFile, garbage);

    ActorTestKit kit = ActorTestKit.create("journal-corrupt", kilnConfig(dataDir));
    try {
      assertThatThrownBy(() -> Journal.prepare(kit.system(), TIMEOUT))
          .isInstanceOf(JournalUnavailableException.class)
          .hasMessageContaining(Journal.url(kit.system().settings().config()));
    } finally {
      kit.shutdownTestKit();
    }
    assertThat(Files.readAllBytes(journalFile)).isEqualTo(garbage);
  }

  static Config kilnConfig(Path dataDir) {
    return KilnConfig.withDefaults(ConfigFactory.parseMap(Map.of("kiln.data-dir", dataDir.toString())));
  }
}
