package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.cli.client.KilnServer;
import dev.kiln.cli.client.Urls;
import dev.kiln.engine.api.Database;
import dev.kiln.protocol.DatabaseProtocol.Change;
import dev.kiln.protocol.DatabaseProtocol.KeyRange;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The changes feed: one page, or with --follow a replay that goes on with every new commit. */
@Command(name = "changes", description = {
    "List the changes after a sequence (--since) or after the commit of a reply's clock (--since-clock):",
    "each document once, at its latest change, oldest first.",
    "With --follow, print each change as one JSON line, replaying from where --since starts and then following",
    "new commits with no gap and no duplicate, until stopped (or after --max changes).",
    "With --index and a key range, only documents whose entry in that index is in the range."})
final class ChangesCommand extends KilnCli.DatabaseCommand {
  @Option(names = "--since", paramLabel = "SEQ", defaultValue = "0", description = "start after this sequence")
  long since;

  @Option(names = "--since-clock", paramLabel = "CLOCK",
      description = "start after the commit of this clock (while the database still holds it)")
  String sinceClock;

  @Option(names = "--prefix", paramLabel = "P", description = "only documents whose id starts with P")
  String prefix;

  @Option(names = "--index", paramLabel = "NAME",
      description = "only documents whose entry in this index is in the key range of --key, --start/--end or --key-prefix"
          + " (each change that puts one in, and the one that takes it out: \"inRange\" true or false)")
  String index;

  @Option(names = "--key", paramLabel = "K", description = "with --index: entries with this key (JSON)")
  String key;

  @Option(names = "--start", paramLabel = "K", description = "with --index: the lowest key (JSON, inclusive)")
  String start;

  @Option(names = "--end", paramLabel = "K", description = "with --index: the highest key (JSON, inclusive)")
  String end;

  @Option(names = "--key-prefix", paramLabel = "P", description = "with --index: string keys starting with P (plain text)")
  String keyPrefix;

  @Option(names = "--no-docs", description = "leave the documents out")
  boolean noDocs;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "at most N changes (0: all); not with --follow")
  int limit;

  @Option(names = "--follow", description = "replay, then follow new commits, one JSON line per change")
  boolean follow;

  @Option(names = "--max", paramLabel = "N", defaultValue = "0", description = "with --follow: stop after N changes (0: never)")
  long max;

  private KeyRange range() {
    if (index == null) {
      if (key != null || start != null || end != null || keyPrefix != null) {
        throw new KilnException(ErrorCode.INVALID_QUERY, "--key, --start, --end and --key-prefix select keys of an"
            + " index: name it with --index");
      }
      return null;
    }
    return new KeyRange(index, key, start, end, keyPrefix);
  }

  @Override
  CompletionStage<?> call(Database database) {
    Database.Feed feed = (sinceClock != null ? Database.Feed.sinceClock(sinceClock) : Database.Feed.since(since))
        .withIdPrefix(prefix).withIncludeDocs(!noDocs).withRange(range());
    if (!follow) {
      return database.changes(feed, limit);
    }
    Source<Change, NotUsed> changes = database.liveChanges(feed);
    if (max > 0) {
      changes = changes.take(max);
    }
    PrintWriter out = spec.commandLine().getOut();
    return changes.runForeach(c -> {
      try {
        out.println(KilnCli.JSON.writeValueAsString(c));
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
      out.flush();
    }, kiln.system()).thenApply(done -> null);
  }

  @Override
  Object remote(KilnCli.Remote r) {
    range(); // refused here as without a server
    Map<String, Object> query = Urls.params("since", sinceClock == null ? since : null, "since-clock", sinceClock,
        "prefix", prefix, "no-docs", noDocs, "index", index, "key", key, "start", start, "end", end,
        "key-prefix", keyPrefix);
    if (!follow) {
      query.put("limit", limit);
      return r.server().get(r.path("/changes"), query);
    }
    // Server-Sent Events: each event's data is the change as one line of JSON, as printed without a server
    query.put("feed", "live");
    PrintWriter out = spec.commandLine().getOut();
    long[] printed = {0};
    r.server().events(r.path("/changes"), query, change -> {
      out.println(change);
      out.flush();
      return max == 0 || ++printed[0] < max;
    });
    return null;
  }
}
