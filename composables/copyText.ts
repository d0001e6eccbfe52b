/**
 * Puts `text` on the clipboard; false when the browser refused. The Clipboard API exists only in a
 * secure context (https, or http on localhost/127.0.0.1) and may be denied; then the older
 * execCommand('copy') of a selected, off-screen textarea still works on plain http and offline.
 * The textarea goes inside an open dialog, whose focus trap would otherwise pull the focus (and
 * the selection) back before the copy.
 */
export async function copyText(text: string): Promise<boolean> {
  if (window.isSecureContext && navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text)
      return true
    }
    catch {
      // Denied or the document lost focus: the old way below may still be allowed.
    }
  }
  const area = document.createElement('textarea')
  area.value = text
  area.setAttribute('readonly', '')
  area.style.cssText = 'position:fixed;top:0;left:-9999px;opacity:0'
  const host = document.activeElement?.closest('[role="dialog"]') ?? document.body
  host.append(area)
  area.select()
  try {
    return document.execCommand('copy')
  }
  catch {
    return false
  }
  finally {
    area.remove()
  }
}
