package dev.kiln.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.kiln.engine.api.Database;
import dev.kiln.engine.TestTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status page in a real headless Chromium (Debian's chromium and chromium-driver, driven by
 * Selenium through the installed driver, so nothing is downloaded): the token entered in its form or
 * passed in the address's fragment, the numbers and the chart following writes, the CarLog falling
 * with a compaction, and a screenshot kept in {@code target/status-page.png}.
 *
 * <p>Runs only with {@code -Pbrowser} (tag "browser"); there it fails, not skips, when the browser or
 * its driver is missing.
 */
@Tag("browser")
class StatusPageBrowserTest {
  private static final Path CHROMIUM = Path.of(System.getProperty("kiln.chromium", "/usr/bin/chromium"));
  private static final Path DRIVER = Path.of(System.getProperty("kiln.chromedriver", "/usr/bin/chromedriver"));
  private static final String TOKEN = "browser-test-token";

  @TempDir Path dir;
  TestServer s;
  WebDriver browser;

  @BeforeEach
  void start() {
    assertThat(Files.isExecutable(CHROMIUM)).as(CHROMIUM + " (apt-get install -y chromium chromium-driver)").isTrue();
    assertThat(Files.isExecutable(DRIVER)).as(DRIVER + " (apt-get install -y chromium chromium-driver)").isTrue();
    s = new TestServer(dir, Map.of("kiln.http.token", TOKEN, "kiln.http.stats-interval", "200ms", "kiln.auto-compact", 0));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1280,900");
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() {
    try {
      if (browser != null) {
        browser.quit();
      }
    } finally {
      if (s != null) {
        s.close();
      }
    }
  }

  @Test
  void thePageAsksForTheTokenAndThenShowsTheNumbersAndTheChartFollowingWritesAndACompaction() throws Exception {
    // Without a token the stream answers 401 and the page asks for one; a wrong one is refused.
    browser.get(s.server.url() + "/");
    waitFor("the token form", b -> state().equals("token") && b.findElement(By.id("login-section")).isDisplayed());
    browser.findElement(By.id("token")).sendKeys("not-the-token");
    browser.findElement(By.id("connect")).click();
    waitFor("the wrong token refused", b -> b.findElement(By.id("login-msg")).getText().contains("refused"));
    browser.findElement(By.id("token")).clear();
    browser.findElement(By.id("token")).sendKeys(TOKEN);
    browser.findElement(By.id("connect")).click();
    waitFor("the stream", b -> state().equals("live"));

    // A new tab's way in: the token in the fragment, which the page takes and removes from the address.
    script("sessionStorage.clear()");
    browser.get("about:blank"); // else the next address is the same page with another fragment: no reload
    browser.get(s.server.url() + "/#token=" + TOKEN);
    waitFor("the stream with the fragment's token", b -> state().equals("live"));
    assertThat(browser.getCurrentUrl()).doesNotContain(TOKEN);

    // Writes through the facade: the row appears and its numbers and its line follow each commit.
    Database orders = s.kiln.open("orders");
    put(orders, "o0");
    waitFor("the orders row", b -> number("orders", "lastSeq") == 1);
    long length = number("orders", "carLogLength");
    int points = (int) lineAttr("orders", "data-count");
    for (int i = 1; i <= 5; i++) {
      put(orders, "o" + i);
    }
    waitFor("six writes", b -> number("orders", "lastSeq") == 6);
    long grown = number("orders", "carLogLength");
    assertThat(grown).as("a CAR per awaited put").isEqualTo(length + 5);
    assertThat(number("orders", "documents")).isEqualTo(6);
    waitFor("the chart's line at the new length", b -> lineAttr("orders", "data-last") == grown
        && (int) lineAttr("orders", "data-count") > points);
    waitFor("a write rate", b -> !cell("orders", "writeRate").getText().equals("–"));

    // A second database written over HTTP gets a row and a line of its own.
    for (int i = 0; i < 3; i++) {
      assertThat(s.put("/db/audit/docs/a" + i, "{\"i\":" + i + "}").statusCode()).isEqualTo(200);
    }
    waitFor("the audit row", b -> number("audit", "lastSeq") == 3 && lineAttr("audit", "data-count") > 0);

    // A compaction: the CarLog falls, the count of compactions rises, the chart marks the drop.
    assertThat(s.post("/db/orders/compact", null).statusCode()).isEqualTo(200);
    waitFor("the compaction", b -> number("orders", "compactions") == 1);
    assertThat(number("orders", "carLogLength")).isLessThan(grown);
    waitFor("the line falling", b -> lineAttr("orders", "data-last") < grown
        && !b.findElements(By.cssSelector("#chart circle.compaction[data-db='orders']")).isEmpty());
    put(orders, "after");
    waitFor("the write after the compaction", b -> number("orders", "lastSeq") == 7);

    Path shot = Path.of("target", "status-page.png");
    Files.createDirectories(shot.getParent());
    Files.copy(((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath(), shot,
        StandardCopyOption.REPLACE_EXISTING);
    assertThat(Files.size(shot)).isPositive();
    System.out.println("status page screenshot: " + shot.toAbsolutePath());
  }

  private static void put(Database db, String id) {
    db.put(JsonNodeFactory.instance.objectNode().put("_id", id).put("at", id)).toCompletableFuture().join();
  }

  private void waitFor(String what, Function<WebDriver, Boolean> condition) {
    new WebDriverWait(browser, TestTime.dilated(Duration.ofSeconds(30)))
        .withMessage(() -> what + "; the page said " + browser.findElement(By.id("conn")).getText())
        .ignoring(RuntimeException.class)
        .until(condition);
  }

  private String state() {
    return browser.findElement(By.id("conn")).getAttribute("data-state");
  }

  private WebElement cell(String db, String field) {
    return browser.findElement(By.cssSelector("tr[data-db='" + db + "'] td[data-field='" + field + "']"));
  }

  private long number(String db, String field) {
    String v = cell(db, field).getAttribute("data-value");
    return v == null ? -1 : Long.parseLong(v);
  }

  /** An attribute of the database's line in the chart, -1 without one; read in one script, as the chart is redrawn with every event. */
  private long lineAttr(String db, String attribute) {
    Object v = script("const l = document.querySelector(\"#chart polyline[data-db='" + db + "']\");"
        + " return l ? l.getAttribute('" + attribute + "') : null;");
    return v == null ? -1 : Long.parseLong(v.toString());
  }

  private Object script(String js) {
    return ((JavascriptExecutor) browser).executeScript(js);
  }
}
