package org.vlmscope.experiments.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The report's pages in a real browser: headless Chromium (Debian's chromium and chromium-driver, which
 * {@code .ci/run} installs) loads each page from disk with no console error, the plots load, and the viewer's
 * hover links work both ways. Skipped, saying why, where Chromium is absent.
 */
class BrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir
    static Path tmp;
    static ChromeDriver driver;
    static Path report;

    @BeforeAll
    static void startBrowser() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "headless Chromium is not installed (apt-get install chromium chromium-driver): browser checks skipped");
        report = tmp.resolve("report");
        Report.write(ReportFixtures.allExperiments(tmp, 30, 20, 7), report);

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--user-data-dir=" + Files.createDirectory(tmp.resolve("profile")));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogOutput(java.io.OutputStream.nullOutputStream())
                .build();
        driver = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stopBrowser() {
        if (driver != null) {
            driver.quit();
        }
    }

    private static void open(Path page) {
        driver.get(page.toUri().toString());
    }

    private static List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                .map(LogEntry::getMessage).toList();
    }

    @Test
    void theConsoleCheckSeesAnError() throws Exception {
        Path broken = tmp.resolve("broken.html");
        Files.writeString(broken, "<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>");
        open(broken);
        assertFalse(consoleErrors().isEmpty(), "a page that throws must show up in the console log");
    }

    @Test
    void theIndexLoadsWithItsPlotsAndNoConsoleError() {
        consoleErrors();
        open(report.resolve(Report.INDEX));
        assertEquals(List.of(), consoleErrors());
        List<WebElement> plots = driver.findElements(By.cssSelector("img.plot"));
        assertEquals(3, plots.size());
        for (WebElement plot : plots) {
            Object width = ((JavascriptExecutor) driver).executeScript(
                    "return arguments[0].complete ? arguments[0].naturalWidth : -1;", plot);
            assertEquals((long) Charts.WIDTH, width, "plot " + plot.getDomAttribute("src") + " did not load");
        }
        assertTrue(driver.findElement(By.tagName("body")).getText().contains("Table 1: ablation"));
        driver.findElement(By.linkText("Open the viewer")).click();
        assertEquals(List.of(), consoleErrors());
        assertEquals(2, driver.findElements(By.cssSelector("table.images tbody tr")).size());
    }

    @Test
    void hoveringAPatchHighlightsItsRowAndBack() {
        for (String page : List.of("lens0.html", "lens1.html")) {
            consoleErrors();
            open(report.resolve(Report.VIEWER).resolve(page));
            assertEquals(List.of(), consoleErrors(), page);
            int grid = page.equals("lens0.html") ? 12 : 24;
            assertEquals(grid * grid, driver.findElements(By.cssSelector("#grid .patch")).size(), page);
            assertEquals(grid * grid, driver.findElements(By.cssSelector("#lens-body tr")).size(), page);

            int cell = grid * (grid / 3) + grid / 3;   // an object cell
            new Actions(driver).moveToElement(patch(cell)).perform();
            assertTrue(hasClass(row(cell), "hl"), page + ": hovering patch " + cell + " must highlight its row");
            assertTrue(hasClass(patch(cell), "hl"));
            assertTrue(isVisible(row(cell)), page + ": the highlighted row must be scrolled into view");

            int other = grid * grid - 1;
            WebElement token = row(other).findElements(By.tagName("td")).get(3);
            new Actions(driver).moveToElement(token).perform();
            assertTrue(hasClass(patch(other), "hl"), page + ": hovering row " + other + " must highlight its patch");
            assertFalse(hasClass(patch(cell), "hl"), "only one patch is highlighted at a time");
            WebElement tip = driver.findElement(By.id("tip"));
            assertTrue(tip.isDisplayed(), page + ": hovering a token shows its top-k");
            String[] lines = tip.getText().split("\n");
            assertEquals("cell " + (grid - 1) + "," + (grid - 1) + ", layer 2", lines[0]);
            assertEquals(1 + 5, lines.length, tip.getText());
            assertTrue(lines[1].matches("0\\.\\d{3} .*"), lines[1]);
        }
    }

    @Test
    void theObjectOnlySwitchHidesTheOtherRows() {
        open(report.resolve(Report.VIEWER).resolve("lens0.html"));
        driver.findElement(By.id("only-object")).click();
        long visible = driver.findElements(By.cssSelector("#lens-body tr")).stream()
                .filter(WebElement::isDisplayed).count();
        assertEquals(driver.findElements(By.cssSelector("#grid .patch.object")).size(), visible);
        assertEquals(List.of(), consoleErrors());
    }

    private static WebElement patch(int cell) {
        return driver.findElement(By.cssSelector("#grid .patch[data-cell='" + cell + "']"));
    }

    private static WebElement row(int cell) {
        return driver.findElement(By.cssSelector("#lens-body tr[data-cell='" + cell + "']"));
    }

    private static boolean hasClass(WebElement e, String name) {
        return List.of(e.getDomAttribute("class").split(" ")).contains(name);
    }

    /** Whether the element lies within its scrolling table's visible area. */
    private static boolean isVisible(WebElement e) {
        return (Boolean) ((JavascriptExecutor) driver).executeScript(
                "var r = arguments[0].getBoundingClientRect(), w = document.getElementById('tablewrap')"
                        + ".getBoundingClientRect(); return r.top >= w.top && r.bottom <= w.bottom;", e);
    }

}
