using OpenQA.Selenium.Chrome;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// Debian's Chromium driven through its own chromedriver, headless. Where either is missing the tests fail saying how
/// to install them (eng/prereqs.sh does in CI); they never pass for want of a browser. Screenshots go to
/// <c>screenshots/</c> in the test output folder.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    public const string BrowserPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    private readonly Lazy<ChromeDriver> _driver = new(Start);

    public ChromeDriver Driver => _driver.Value;

    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public string Screenshot(string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    private static ChromeDriver Start()
    {
        if (!File.Exists(BrowserPath) || !File.Exists(DriverPath))
        {
            throw new InvalidOperationException(
                $"The console's browser tests need Debian's chromium ({BrowserPath}) and chromium-driver ({DriverPath}): run 'sudo bash eng/prereqs.sh' or 'apt-get install chromium chromium-driver'.");
        }
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000", "--lang=en-US");
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(60);
        return driver;
    }

    public void Dispose()
    {
        if (_driver.IsValueCreated)
        {
            _driver.Value.Quit();
            _driver.Value.Dispose();
        }
    }
}
