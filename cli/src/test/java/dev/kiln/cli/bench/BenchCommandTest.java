package dev.kiln.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.cli.KilnCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import picocli.CommandLine;

/** {@code kiln bench} on a tiny run: the report's files are there, the CSV parses, the SVGs are XML with their series. */
class BenchCommandTest {
  @TempDir Path temp;

  @Test
  void aSmallRunWritesTheTableTheCsvAndThePlots() throws Exception {
    Path out = temp.resolve("report");
    CommandLine cli = KilnCli.commandLine();
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    cli.setOut(new PrintWriter(stdout));
    cli.setErr(new PrintWriter(stderr));
    int status = cli.execute("bench", "--workloads", "sequential,latency", "--scale", "0.01", "--out", out.toString(),
        "--tmp", temp.resolve("data").toString());
    assertThat(status).as("stderr: %s", stderr).isZero();
    assertThat(stderr.toString()).contains("[", "] ", "sequential: ", "done latency in ");
    assertThat(out.resolve("logs").resolve("latency.log")).isNotEmptyFile();

    assertThat(stdout.toString().lines()).contains(out.resolve("report.md").toString(), out.resolve("results.csv").toString(),
        out.resolve("latency.svg").toString(), out.resolve("carlog.svg").toString());

    List<String> csv = Files.readAllLines(out.resolve("results.csv"));
    assertThat(csv.get(0)).isEqualTo("workload,section,key,value,unit,text,target,verdict");
    for (String row : csv.subList(1, csv.size())) {
      assertThat(row.split(",", -1)).as(row).hasSize(8);
    }
    assertThat(csv).anySatisfy(r -> assertThat(r).startsWith("latency,ratio,p99_compacting/p99_quiet,").contains(",<=3.00x,"))
        .anySatisfy(r -> assertThat(r).startsWith("sequential,,puts,100.0,"));
    String md = Files.readString(out.resolve("report.md"));
    assertThat(md).contains("| workload | figures | baseline | ratio (target) |", "| sequential | puts=100", "| latency |",
        "Machine: ", " cores, ", "![latency.svg](latency.svg)", "![carlog.svg](carlog.svg)");

    Document latency = xml(out.resolve("latency.svg"));
    assertThat(points(latency, "series-quiet")).isPositive();
    assertThat(points(latency, "series-compacting")).isPositive();
    Document carlog = xml(out.resolve("carlog.svg"));
    assertThat(points(carlog, "series-carlog")).isPositive();
    assertThat(carlog.getElementsByTagName("polyline").getLength()).isEqualTo(1);
  }

  private static Document xml(Path file) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    Document doc = f.newDocumentBuilder().parse(file.toFile()); // throws on anything not well-formed
    assertThat(doc.getDocumentElement().getLocalName()).isEqualTo("svg");
    return doc;
  }

  /** The points a series group says it holds, checked against what it draws. */
  private static int points(Document doc, String id) {
    NodeList groups = doc.getElementsByTagName("g");
    for (int i = 0; i < groups.getLength(); i++) {
      Element g = (Element) groups.item(i);
      if (g.getAttribute("id").equals(id)) {
        int points = Integer.parseInt(g.getAttribute("data-points"));
        int circles = g.getElementsByTagName("circle").getLength();
        NodeList lines = g.getElementsByTagName("polyline");
        int drawn = lines.getLength() == 0 ? circles
            : (((Element) lines.item(0)).getAttribute("points").strip().split("\\s+").length + 1) / 2;
        assertThat(drawn).as("points drawn in %s", id).isEqualTo(points);
        return points;
      }
    }
    throw new AssertionError("no series " + id);
  }
}
