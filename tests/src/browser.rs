//! A real headless Chromium for one test, driven over WebDriver with `fantoccini`.
//!
//! [`Browser::start`] spawns `chromedriver --port=0` in its own process group (output in
//! a fresh [`TempDir`]), waits (10 s deadline) for the port it prints, and opens a session
//! with Debian's Chromium (`/usr/bin/chromium`: `--headless=new --no-sandbox
//! --disable-dev-shm-usage`, a 1280×900 window; [`Browser::start_phone`] a 390×844 phone
//! screen). Every test has its own driver and browser, so tests run in parallel.
//! Dropping a [`Browser`] ends the WebDriver session (Chromium quits) and kills the
//! driver's process group.
//!
//! The helpers find things the way a person does: fields by their label (or `name`),
//! buttons and links by their text; waits poll with a deadline (no fixed sleeps) and
//! their errors carry the URL and the page's text. [`Browser::screenshot`] saves
//! `<repo>/target/screenshots/<test>/<nn>-<name>.png` (git-ignored with `target/`).
//!
//! Chromedriver is `$CHROMEDRIVER_BIN`, else `chromedriver` on `PATH`; Chromium is
//! `$CHROMIUM_BIN`, else `/usr/bin/chromium`, else `chromium` on `PATH`. Either missing
//! is an error naming `./scripts/install-test-tools.sh`, so a test fails rather than skips.

mod driver;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

pub use driver::INSTALL_HINT;
use driver::{capabilities, delete_session, find_binary, Driver, Screen};

/// How long a wait helper waits by default.
pub const WAIT: Duration = Duration::from_secs(10);
/// The tallest whole-page screenshot, in CSS pixels.
pub const MAX_SHOT_HEIGHT: u64 = 8000;
/// How often a wait looks again.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// A headless Chromium with its chromedriver, both ended when dropped.
pub struct Browser {
    client: Client,
    driver: Driver,
    driver_port: u16,
    session: Option<String>,
    screen: Screen,
    screenshots: PathBuf,
    shots: AtomicUsize,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("driver_port", &self.driver_port)
            .field("screenshots", &self.screenshots)
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// A desktop-sized browser (1280×900) whose screenshots go to `target/screenshots/<test>/`
    /// (emptied first).
    ///
    /// # Errors
    /// When chromedriver or Chromium is missing (with the install hint) or does not start.
    pub async fn start(test: &str) -> anyhow::Result<Self> {
        Self::launch(test, Screen::Desktop).await
    }

    /// A phone-sized browser (390×844 CSS pixels, touch, a mobile viewport).
    ///
    /// # Errors
    /// As [`Browser::start`].
    pub async fn start_phone(test: &str) -> anyhow::Result<Self> {
        Self::launch(test, Screen::Phone).await
    }

    async fn launch(test: &str, screen: Screen) -> anyhow::Result<Self> {
        let chromium = find_binary("CHROMIUM_BIN", &["/usr/bin/chromium"], "chromium")?;
        // From here on, dropping `driver` kills it on every error path.
        let driver = Driver::spawn()?;
        let driver_port = driver.port();
        let screenshots = repo_root().join("target/screenshots").join(test);
        let _ = std::fs::remove_dir_all(&screenshots);
        std::fs::create_dir_all(&screenshots)
            .with_context(|| format!("creating {}", screenshots.display()))?;
        let mut builder = ClientBuilder::new(HttpConnector::new());
        // The browser's profile lives in the driver's temporary folder, removed with it.
        let profile = driver.dir().join("profile");
        builder.capabilities(capabilities(&chromium, &profile, screen));
        let client = builder
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .with_context(|| {
                format!(
                    "opening a Chromium session ({}); {INSTALL_HINT}",
                    chromium.display()
                )
            })?;
        let session = client.session_id().await.ok().flatten();
        Ok(Browser {
            client,
            driver,
            driver_port,
            session,
            screen,
            screenshots,
            shots: AtomicUsize::new(0),
        })
    }

    /// The fantoccini client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits for it to load.
    ///
    /// # Errors
    /// When the browser cannot navigate.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("opening {url}"))
    }

    /// The address the browser shows.
    ///
    /// # Errors
    /// When the browser does not answer.
    pub async fn current_url(&self) -> anyhow::Result<String> {
        Ok(self.client.current_url().await?.to_string())
    }

    /// The page's visible text.
    ///
    /// # Errors
    /// When the browser does not answer.
    pub async fn text(&self) -> anyhow::Result<String> {
        let text = self
            .client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Types `value` into the field labelled `label` (the label's text, trimmed), or else
    /// the field named `label`, replacing what it held.
    ///
    /// # Errors
    /// When no such field is on the page.
    pub async fn fill(&self, label: &str, value: &str) -> anyhow::Result<()> {
        let field = self.field(label).await?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    async fn field(&self, label: &str) -> anyhow::Result<Element> {
        let by_label = format!("//label[normalize-space(.)={}]", xpath_literal(label)?);
        if let Ok(found) = self.client.find(Locator::XPath(&by_label)).await {
            if let Some(id) = found.attr("for").await?.filter(|id| !id.is_empty()) {
                return Ok(self.client.find(Locator::Id(&id)).await?);
            }
            let inside = ".//input | .//select | .//textarea";
            if let Ok(field) = found.find(Locator::XPath(inside)).await {
                return Ok(field);
            }
        }
        let by_name = format!("//*[@name={}]", xpath_literal(label)?);
        match self.client.find(Locator::XPath(&by_name)).await {
            Ok(field) => Ok(field),
            Err(_) => bail!(
                "no field labelled or named {label:?} on {}",
                self.current_url().await.unwrap_or_default()
            ),
        }
    }

    /// Clicks the button or link whose text (or a submit input's value) is `text`.
    ///
    /// # Errors
    /// When there is none.
    pub async fn click(&self, text: &str) -> anyhow::Result<()> {
        let t = xpath_literal(text)?;
        let xpath = format!(
            "//button[normalize-space(.)={t}] | //a[normalize-space(.)={t}] | \
             //input[(@type='submit' or @type='button') and @value={t}] | \
             //*[@role='button' and normalize-space(.)={t}]"
        );
        let Ok(target) = self.client.find(Locator::XPath(&xpath)).await else {
            bail!(
                "no button or link {text:?} on {}",
                self.current_url().await.unwrap_or_default()
            );
        };
        target
            .click()
            .await
            .with_context(|| format!("clicking {text:?}"))
    }

    /// Clicks the element `css` selects.
    ///
    /// # Errors
    /// When there is none.
    pub async fn click_css(&self, css: &str) -> anyhow::Result<()> {
        let target = self.wait_for_element(css, WAIT).await?;
        target
            .click()
            .await
            .with_context(|| format!("clicking {css}"))
    }

    /// Waits until the page's visible text holds `needle`.
    ///
    /// # Errors
    /// When `within` passes first; the error holds the URL and the page's text.
    pub async fn wait_for_text(&self, needle: &str, within: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        loop {
            // A page halfway through loading may refuse scripts: look again.
            let text = self.text().await.unwrap_or_default();
            if text.contains(needle) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "{}",
                    self.timed_out(&format!("text {needle:?}"), within).await
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Waits until `script` (a function body ending in `return <bool>;`) returns true on
    /// the page; `what` names the wait in the error.
    ///
    /// # Errors
    /// When `within` passes first.
    pub async fn wait_for_script(
        &self,
        script: &str,
        what: &str,
        within: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        loop {
            // A page halfway through loading may refuse scripts: ask again.
            let answer = self.client.execute(script, Vec::new()).await;
            if matches!(answer, Ok(serde_json::Value::Bool(true))) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("{}", self.timed_out(what, within).await);
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Waits for the element `css` selects.
    ///
    /// # Errors
    /// When `within` passes first.
    pub async fn wait_for_element(&self, css: &str, within: Duration) -> anyhow::Result<Element> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(found) = self.client.find(Locator::Css(css)).await {
                return Ok(found);
            }
            if Instant::now() >= deadline {
                bail!(
                    "{}",
                    self.timed_out(&format!("element {css}"), within).await
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Waits until the address starts with `prefix`, and returns it.
    ///
    /// # Errors
    /// When `within` passes first.
    pub async fn wait_for_url(&self, prefix: &str, within: Duration) -> anyhow::Result<String> {
        let deadline = Instant::now() + within;
        loop {
            let url = self.current_url().await.unwrap_or_default();
            if url.starts_with(prefix) {
                return Ok(url);
            }
            if Instant::now() >= deadline {
                bail!(
                    "{}",
                    self.timed_out(&format!("URL {prefix}…"), within).await
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    async fn timed_out(&self, what: &str, within: Duration) -> String {
        let url = self.current_url().await.unwrap_or_default();
        let text: String = self
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(2000)
            .collect();
        format!("no {what} within {within:?}; at {url}, the page says:\n{text}")
    }

    /// Saves the page as `<nn>-<name>.png` in the test's screenshot folder, and returns
    /// its path: the whole page on a desktop browser (up to [`MAX_SHOT_HEIGHT`]), the
    /// screen on a phone.
    ///
    /// # Errors
    /// When the browser gives no image or the file cannot be written.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let png = match self.screen {
            Screen::Desktop => self.whole_page_png().await,
            Screen::Phone => self.client.screenshot().await.map_err(Into::into),
        }
        .context("taking a screenshot")?;
        let n = self.shots.fetch_add(1, Ordering::Relaxed) + 1;
        let path = self.screenshots.join(format!("{n:02}-{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// WebDriver shows the viewport only: the window grows to the page's height for the
    /// shot, then goes back.
    async fn whole_page_png(&self) -> anyhow::Result<Vec<u8>> {
        let sizes = self
            .client
            .execute(
                "return [document.documentElement.scrollHeight, \
                 window.outerHeight - window.innerHeight];",
                vec![],
            )
            .await?;
        let number = |i: usize| sizes.get(i).and_then(serde_json::Value::as_u64);
        let (width, height) = self.client.get_window_size().await?;
        let wanted = match (number(0), number(1)) {
            (Some(page), Some(frame)) => (page + frame).min(MAX_SHOT_HEIGHT),
            _ => height,
        };
        if wanted <= height {
            return Ok(self.client.screenshot().await?);
        }
        let (w, h) = (u32::try_from(width)?, u32::try_from(height)?);
        self.client
            .set_window_size(w, u32::try_from(wanted)?)
            .await?;
        let png = self.client.screenshot().await;
        self.client.set_window_size(w, h).await?;
        Ok(png?)
    }

    /// The folder this test's screenshots go to.
    pub fn screenshot_dir(&self) -> &Path {
        &self.screenshots
    }

    /// Chromedriver's log (its temp dir holds `chromedriver.log`).
    pub fn driver_dir(&self) -> &Path {
        self.driver.dir()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver quit Chromium; the driver's group kill
        // (its own Drop, after this) is the backstop for a driver that no longer answers.
        if let Some(session) = &self.session {
            delete_session(self.driver_port, session);
        }
    }
}

/// `text` as an XPath string literal.
fn xpath_literal(text: &str) -> anyhow::Result<String> {
    if !text.contains('\'') {
        Ok(format!("'{text}'"))
    } else if !text.contains('"') {
        Ok(format!("\"{text}\""))
    } else {
        bail!("{text:?} holds both quote kinds; look it up by another text")
    }
}

fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}
