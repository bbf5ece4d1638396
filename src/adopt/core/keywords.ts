// The keywords multipath-tools 0.9.4 accepts in each section of multipath.conf (libmultipath/dict.c,
// init_keywords), so the import knows a typo from a keyword, and a section from a value.

const words = (text: string): readonly string[] => text.trim().split(/\s+/);

/** Section path (`devices/device`) -> the keywords allowed directly in it. */
export const SECTION_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  defaults: words(`verbosity polling_interval max_polling_interval reassign_maps multipath_dir path_selector
    path_grouping_policy uid_attrs uid_attribute getuid_callout prio prio_args features path_checker checker
    alias_prefix failback rr_min_io rr_min_io_rq max_fds rr_weight no_path_retry queue_without_daemon
    checker_timeout allow_usb_devices pg_timeout flush_on_last_del user_friendly_names mode uid gid
    fast_io_fail_tmo dev_loss_tmo eh_deadline bindings_file wwids_file prkeys_file log_checker_err
    reservation_key all_tg_pt retain_attached_hw_handler detect_prio detect_checker force_sync strict_timing
    deferred_remove partition_delimiter config_dir delay_watch_checks delay_wait_checks san_path_err_threshold
    san_path_err_forget_rate san_path_err_recovery_time marginal_path_err_sample_time
    marginal_path_err_rate_threshold marginal_path_err_recheck_gap_time marginal_path_double_failed_time
    find_multipaths uxsock_timeout retrigger_tries retrigger_delay missing_uev_wait_timeout skip_kpartx
    disable_changed_wwids remove_retries max_sectors_kb ghost_delay find_multipaths_timeout enable_foreign
    marginal_pathgroups recheck_wwid`),
  blacklist: words('devnode wwid property protocol'),
  'blacklist/device': words('vendor product'),
  blacklist_exceptions: words('devnode wwid property protocol'),
  'blacklist_exceptions/device': words('vendor product'),
  devices: [],
  'devices/device': words(`vendor product revision product_blacklist path_grouping_policy uid_attribute
    getuid_callout path_selector path_checker checker alias_prefix features hardware_handler prio prio_args
    failback rr_weight no_path_retry rr_min_io rr_min_io_rq pg_timeout flush_on_last_del fast_io_fail_tmo
    dev_loss_tmo eh_deadline user_friendly_names retain_attached_hw_handler detect_prio detect_checker
    deferred_remove delay_watch_checks delay_wait_checks san_path_err_threshold san_path_err_forget_rate
    san_path_err_recovery_time marginal_path_err_sample_time marginal_path_err_rate_threshold
    marginal_path_err_recheck_gap_time marginal_path_double_failed_time skip_kpartx max_sectors_kb ghost_delay
    all_tg_pt vpd_vendor recheck_wwid`),
  overrides: words(`path_grouping_policy uid_attribute getuid_callout path_selector path_checker checker
    alias_prefix features prio prio_args failback rr_weight no_path_retry rr_min_io rr_min_io_rq
    flush_on_last_del fast_io_fail_tmo dev_loss_tmo eh_deadline user_friendly_names retain_attached_hw_handler
    detect_prio detect_checker deferred_remove delay_watch_checks delay_wait_checks san_path_err_threshold
    san_path_err_forget_rate san_path_err_recovery_time marginal_path_err_sample_time
    marginal_path_err_rate_threshold marginal_path_err_recheck_gap_time marginal_path_double_failed_time
    skip_kpartx max_sectors_kb ghost_delay all_tg_pt recheck_wwid`),
  'overrides/protocol': words('type fast_io_fail_tmo dev_loss_tmo eh_deadline'),
  multipaths: [],
  'multipaths/multipath': words(`wwid alias path_grouping_policy path_selector prio prio_args failback rr_weight
    no_path_retry rr_min_io rr_min_io_rq pg_timeout flush_on_last_del features mode uid gid reservation_key
    user_friendly_names deferred_remove delay_watch_checks delay_wait_checks san_path_err_threshold
    san_path_err_forget_rate san_path_err_recovery_time marginal_path_err_sample_time
    marginal_path_err_rate_threshold marginal_path_err_recheck_gap_time marginal_path_double_failed_time
    skip_kpartx max_sectors_kb ghost_delay`),
};

/** Section path -> the sub-sections allowed in it (top level is ''). */
export const SUBSECTIONS: Readonly<Record<string, readonly string[]>> = {
  '': ['defaults', 'blacklist', 'blacklist_exceptions', 'devices', 'overrides', 'multipaths'],
  blacklist: ['device'],
  blacklist_exceptions: ['device'],
  devices: ['device'],
  overrides: ['protocol'],
  multipaths: ['multipath'],
};

/** Keywords 0.9.4 accepts but ignores, with a warning ("ignoring deprecated option"). */
export const DEPRECATED_KEYWORDS: ReadonlySet<string> = new Set(['multipath_dir', 'getuid_callout', 'pg_timeout', 'config_dir']);

/** Keywords that may repeat in one section (lists); every other keyword is unique, the last one wins. */
export const REPEATABLE_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  blacklist: ['devnode', 'wwid', 'property', 'protocol'],
  blacklist_exceptions: ['devnode', 'wwid', 'property', 'protocol'],
};

/** `checker` is 0.9.4's other spelling of `path_checker` (same handler, printed as path_checker). */
export function canonicalKeyword(keyword: string): string {
  return keyword === 'checker' ? 'path_checker' : keyword;
}
