// Package e2e tests the browser chat UI (web/index.html and its scripts) end to end: each test
// starts a real hubbub server on a real SQLite file (internal/servertest) and drives headless
// Chromium through chromedp, next to Go clients (package hubbub/client) speaking hubbub.v1.
//
// TestJSClientPackage runs the JavaScript client package's tests (web/test) with Node's test
// runner against a real server.
//
// The tests skip when no Chromium (or, for the JavaScript package, no Node 20+) is installed,
// unless HUBBUB_E2E=1, which makes a missing browser or Node a failure (CI sets it). Other
// variables:
//
//   - HUBBUB_CHROMIUM: the browser binary (default: /usr/bin/chromium, or chromium,
//     chromium-browser, google-chrome-stable or google-chrome on $PATH).
//   - HUBBUB_E2E_ARTIFACTS: where a failing test saves a screenshot of every page it drove
//     (default: a new directory under $TMPDIR, named in the test log).
//   - HUBBUB_SCREENSHOT=1: TestScreenshot rewrites docs/screenshot.png and
//     docs/screenshot-rooms.png (HUBBUB_SCREENSHOT_DIR: elsewhere), TestScreenshotFiles
//     docs/screenshot-files.png. Install Debian's fonts-noto-color-emoji first, or the
//     reactions' emoji are drawn as outlines.
//   - HUBBUB_NODE: the Node.js binary (default: node on $PATH).
//
// The package has no non-test code besides this comment.
package e2e
