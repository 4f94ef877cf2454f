import type { Page } from 'playwright-core';

// What the tests read of the page's <video> (the test tree compiles without the DOM's types). Predicates run in
// the page as self-contained functions: the CSP forbids evaluating strings there.
export interface VideoLike {
  currentTime: number;
  duration: number;
  videoWidth: number;
  muted: boolean;
  error: unknown;
  play(): Promise<void>;
  getVideoPlaybackQuality(): { totalVideoFrames: number };
}
type InPage = { document: { querySelector(sel: string): VideoLike | null } };

export const decodedFrames = (page: Page, selector: string) =>
  page.locator(selector).first().evaluate((v: VideoLike) => v.getVideoPlaybackQuality().totalVideoFrames);

/** Frames keep being decoded: a picture is moving, not only the audio clock (an H.265 file plays sound alone). */
export async function framesKeepGrowing(page: Page, selector: string): Promise<void> {
  const before = await decodedFrames(page, selector);
  await page.waitForFunction(
    ([sel, n]: [string, number]) => ((globalThis as unknown as InPage).document.querySelector(sel)?.getVideoPlaybackQuality().totalVideoFrames ?? 0) > n,
    [selector, before] as [string, number],
    { timeout: 20_000 },
  );
}

/** "Plays" (issue 7): currentTime advances past `afterSeconds`, the picture has a size, frames grow, no error. */
export async function expectPlaying(page: Page, selector: string, afterSeconds = 1): Promise<void> {
  const video = page.locator(selector).first();
  await video.waitFor();
  await video.evaluate((v: VideoLike) => {
    v.muted = true;
    return v.play();
  });
  await page.waitForFunction(
    ([sel, t]: [string, number]) => {
      const v = (globalThis as unknown as InPage).document.querySelector(sel);
      return !!v && v.currentTime > t && v.videoWidth > 0 && v.error === null;
    },
    [selector, afterSeconds] as [string, number],
    { timeout: 30_000 },
  );
  await framesKeepGrowing(page, selector);
  expect(await video.evaluate((v: VideoLike) => v.error)).toBeNull();
}
