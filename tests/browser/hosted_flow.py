"""The hosted Financial Connections flow in a real headless Chromium, as a person would go
through it: open the session's `url`, pick Sandbank National, log in as jenny, pass the second
factor, untick one account on the consent page, approve, and land on the platform's
`return_url`. Then, given a second session, press its picker's cancel button (a form POST;
a GET of the cancel URL cancels nothing) and land on that session's `return_url`. Exits
non-zero on any failure.

    hosted_flow.py <session url> <return url> <screenshot dir> [<account to untick>
                   [<session to cancel url> <its return url>]]

Run by tests/api/browser.rs, which checks the session afterwards. Chromium and chromedriver are
Debian's (`/usr/bin/chromium`, `/usr/bin/chromedriver`; override with SANDBANK_CHROMIUM and
SANDBANK_CHROMEDRIVER); selenium-manager is never asked to download anything. Screenshots of
every page go to <screenshot dir> (the consent page as `consent.png`)."""

import os
import sys
import tempfile

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

SESSION_URL, RETURN_URL, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
UNTICK = sys.argv[4] if len(sys.argv) > 4 else "bacct_jenny_mortgage"
CANCEL_URL, CANCEL_RETURN = (sys.argv[5], sys.argv[6]) if len(sys.argv) > 6 else (None, None)
CHROMIUM = os.environ.get("SANDBANK_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SANDBANK_CHROMEDRIVER", "/usr/bin/chromedriver")
# Generous for a loaded CI machine; a healthy run takes well under a second per page.
TIMEOUT = 30


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1000,1100",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    # An explicit driver path: selenium-manager stays out of it (it would try to download).
    service = Service(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(TIMEOUT)
    return driver


def shot(driver, name):
    path = os.path.join(SHOTS, f"{name}.png")
    if not driver.save_screenshot(path):
        raise AssertionError(f"could not save {path}")


def main():
    os.makedirs(SHOTS, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sandbank-chromium-") as profile:
        driver = browser(profile)
        wait = WebDriverWait(driver, TIMEOUT)
        step = "start"
        try:
            step = "institution picker"
            driver.get(SESSION_URL)
            bank = wait.until(EC.element_to_be_clickable((By.ID, "fcinst_sandbank")))
            if bank.text.strip() != "Sandbank National":
                raise AssertionError(f"the picker names the bank {bank.text!r}")
            shot(driver, "institutions")
            bank.click()

            step = "login"
            wait.until(EC.element_to_be_clickable((By.ID, "login")))
            driver.find_element(By.NAME, "username").send_keys("jenny")
            driver.find_element(By.NAME, "password").send_keys("password123")
            shot(driver, "login")
            driver.find_element(By.ID, "login").click()

            step = "second factor"
            wait.until(EC.element_to_be_clickable((By.ID, "verify")))
            driver.find_element(By.NAME, "code").send_keys("000000")
            shot(driver, "mfa")
            driver.find_element(By.ID, "verify").click()

            step = "consent"
            wait.until(EC.element_to_be_clickable((By.ID, "approve")))
            boxes = driver.find_elements(By.CSS_SELECTOR, "input[type=checkbox][name=accounts]")
            values = sorted(b.get_attribute("value") for b in boxes)
            if len(values) != 4 or UNTICK not in values:
                raise AssertionError(f"jenny's four accounts are offered, got {values}")
            if not all(b.is_selected() for b in boxes):
                raise AssertionError("every account starts ticked")
            box = next(b for b in boxes if b.get_attribute("value") == UNTICK)
            box.click()
            wait.until(EC.element_selection_state_to_be(box, False))
            shot(driver, "consent")
            driver.find_element(By.ID, "approve").click()

            step = "return to the platform"
            wait.until(EC.url_to_be(RETURN_URL))
            shot(driver, "returned")

            if CANCEL_URL:
                step = "cancel from the picker"
                driver.get(CANCEL_URL)
                cancel = wait.until(EC.element_to_be_clickable((By.ID, "cancel")))
                if cancel.tag_name != "button":
                    raise AssertionError(f"cancel is a <{cancel.tag_name}>, not a form button")
                shot(driver, "cancel")
                cancel.click()
                wait.until(EC.url_to_be(CANCEL_RETURN))
        except TimeoutException as e:
            shot(driver, "failure")
            raise AssertionError(
                f"timed out at step {step!r} on {driver.current_url}:\n{driver.page_source[:2000]}"
            ) from e
        finally:
            driver.quit()
    print(f"landed on {RETURN_URL}")


if __name__ == "__main__":
    main()
