//! Where a request can run: on one host that can hold all of it, not on a pooled sum. Free
//! cores on one data centre's host and free memory on another's add up in a pooled total but
//! hold no workspace. Storage is shared across the network, so it is not placed on a host.

use super::capacity::Host;
use super::quota::Amounts;
use serde::{Deserialize, Serialize};

/// What one host has free now: its size minus what resources placed on it hold (or what its
/// engine reports allocated, when that is more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFree {
    pub name: String,
    pub site: String,
    pub cores: u32,
    pub ram_gb: u32,
    pub gpus: u32,
    /// Drained or retired hosts finish what runs on them but take nothing new.
    pub accepting: bool,
}

impl HostFree {
    fn holds(&self, need: &Amounts) -> bool {
        self.accepting
            && self.cores >= need.cpu_cores
            && self.ram_gb >= need.ram_gb
            && self.gpus >= need.gpus
    }

    /// What is left after placing `need` here, in the order placement cares about: the scarce
    /// accelerators first, then cores, then memory.
    fn leftover(&self, need: &Amounts) -> (u32, u32, u32) {
        (
            self.gpus - need.gpus,
            self.cores - need.cpu_cores,
            self.ram_gb - need.ram_gb,
        )
    }
}

/// One host as placement sees it: its size and what its engine reports allocated, whether it
/// takes new work, and how many of its accelerators other projects have booked for now.
#[derive(Debug, Clone)]
pub struct HostNow {
    pub host: Host,
    pub accepting: bool,
    pub booked_by_others: u32,
}

/// A resource that holds compute now, on the host the portal placed it on (`None` for one
/// placed before the portal recorded hosts).
#[derive(Debug, Clone)]
pub struct Placed<'a> {
    pub host: Option<&'a str>,
    pub need: Amounts,
}

/// What each host has free: its size less the larger of what the portal's resources on it hold
/// and what its engine reports allocated, and less accelerators booked by other projects.
/// Resources with no recorded host are put, in the order given, where `place` would have put
/// them (any host, drained or not, since they run somewhere already), so an upgrade from pooled
/// sums never promises room they take.
pub fn free_per_host(hosts: &[HostNow], placed: &[Placed<'_>]) -> Vec<HostFree> {
    let mut held: Vec<Amounts> = vec![Amounts::default(); hosts.len()];
    let add = |held: &mut Amounts, need: &Amounts| {
        held.cpu_cores = held.cpu_cores.saturating_add(need.cpu_cores);
        held.ram_gb = held.ram_gb.saturating_add(need.ram_gb);
        held.gpus = held.gpus.saturating_add(need.gpus);
    };
    for p in placed {
        if let Some(i) = p
            .host
            .and_then(|n| hosts.iter().position(|h| h.host.name == n))
        {
            add(&mut held[i], &p.need);
        }
    }
    let free_of = |held: &[Amounts]| -> Vec<HostFree> {
        hosts
            .iter()
            .zip(held)
            .map(|(h, used)| {
                let s = &h.host;
                HostFree {
                    name: s.name.clone(),
                    site: s.site.clone(),
                    cores: s.cores.saturating_sub(used.cpu_cores.max(s.alloc_cores)),
                    ram_gb: s.ram_gb.saturating_sub(used.ram_gb.max(s.alloc_ram_gb)),
                    gpus: s
                        .gpus
                        .saturating_sub(used.gpus.max(s.alloc_gpus))
                        .saturating_sub(h.booked_by_others),
                    accepting: h.accepting,
                }
            })
            .collect()
    };
    for p in placed.iter().filter(|p| {
        p.host
            .is_none_or(|n| !hosts.iter().any(|h| h.host.name == n))
    }) {
        let mut free = free_of(&held);
        free.iter_mut().for_each(|f| f.accepting = true);
        let at = place(&free, &p.need, None)
            .ok()
            .and_then(|h| free.iter().position(|f| f.name == h.name))
            .or_else(|| (0..free.len()).max_by_key(|&i| (free[i].cores, free[i].ram_gb)));
        if let Some(i) = at {
            add(&mut held[i], &p.need);
        }
    }
    free_of(&held)
}

/// Free capacity by site: the sum over its hosts that take work, and the most one of them has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteFree {
    pub site: String,
    pub hosts: u32,
    pub cores: u32,
    pub ram_gb: u32,
    pub gpus: u32,
    pub most_cores_on_one_host: u32,
    pub most_ram_gb_on_one_host: u32,
    pub most_gpus_on_one_host: u32,
}

pub fn by_site(free: &[HostFree]) -> Vec<SiteFree> {
    let mut sites: Vec<SiteFree> = Vec::new();
    for h in free.iter().filter(|h| h.accepting) {
        let i = match sites.iter().position(|s| s.site == h.site) {
            Some(i) => i,
            None => {
                sites.push(SiteFree {
                    site: h.site.clone(),
                    ..SiteFree::default()
                });
                sites.len() - 1
            }
        };
        let s = &mut sites[i];
        s.hosts += 1;
        s.cores = s.cores.saturating_add(h.cores);
        s.ram_gb = s.ram_gb.saturating_add(h.ram_gb);
        s.gpus = s.gpus.saturating_add(h.gpus);
        s.most_cores_on_one_host = s.most_cores_on_one_host.max(h.cores);
        s.most_ram_gb_on_one_host = s.most_ram_gb_on_one_host.max(h.ram_gb);
        s.most_gpus_on_one_host = s.most_gpus_on_one_host.max(h.gpus);
    }
    sites
}

/// Which of a host's GPUs (index, project holding it by a booking now) to give a resource of
/// `project` that needs `count`: never one another resource has (`in_use`) or another project
/// has booked; its project's booked ones first. Fewer than `count` when the host has no more
/// recorded (engine hosts whose devices the engine itself assigns).
pub fn pick_devices(
    slots: &[(u32, Option<i64>)],
    in_use: &[u32],
    project: i64,
    count: u32,
) -> Vec<u32> {
    let free = |want: Option<i64>| {
        slots
            .iter()
            .filter(move |(slot, holder)| !in_use.contains(slot) && *holder == want)
            .map(|(slot, _)| *slot)
    };
    let mut picked: Vec<u32> = free(Some(project))
        .chain(free(None))
        .take(count as usize)
        .collect();
    picked.sort_unstable();
    picked
}

/// Takes `need` off the host it was placed on, for placing several requests in turn.
pub fn take(free: &mut [HostFree], on: &str, need: &Amounts) {
    if let Some(h) = free.iter_mut().find(|h| h.name == on) {
        h.cores = h.cores.saturating_sub(need.cpu_cores);
        h.ram_gb = h.ram_gb.saturating_sub(need.ram_gb);
        h.gpus = h.gpus.saturating_sub(need.gpus);
    }
}

/// Why no host can take a request, with the numbers a person needs to choose a smaller size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoHost {
    /// The pooled free totals would hold it: the request fails on fragmentation, not size.
    pub pooled_would_fit: bool,
    /// Each host that takes work, with what it has free.
    pub hosts: Vec<HostFree>,
}

impl NoHost {
    /// One sentence for the form, naming each host's free cores, memory and GPUs.
    pub fn describe(&self, need: &Amounts) -> String {
        let per_host: Vec<String> = self
            .hosts
            .iter()
            .map(|h| {
                format!(
                    "{} ({}): {} cores, {} GB, {} GPUs",
                    h.name, h.site, h.cores, h.ram_gb, h.gpus
                )
            })
            .collect();
        let lead = if self.pooled_would_fit {
            "There is enough free in total, but no single host has"
        } else {
            "No host has"
        };
        let free = if per_host.is_empty() {
            "no host is taking new work".to_owned()
        } else {
            format!("free now: {}", per_host.join("; "))
        };
        format!(
            "{lead} {} cores, {} GB of memory and {} GPUs free at once ({free}).",
            need.cpu_cores, need.ram_gb, need.gpus
        )
    }
}

/// The host to run `need` on: one in `prefer_site` when any there can hold it, else any. Among
/// those, the one left with the least free (accelerators first), so large requests still find
/// a whole host later; ties go to the first listed.
pub fn place<'a>(
    hosts: &'a [HostFree],
    need: &Amounts,
    prefer_site: Option<&str>,
) -> Result<&'a HostFree, NoHost> {
    let best_in = |site: Option<&str>| {
        hosts
            .iter()
            .filter(|h| site.is_none_or(|s| h.site == s))
            .filter(|h| h.holds(need))
            .min_by_key(|h| h.leftover(need))
    };
    if let Some(h) = prefer_site.and_then(|s| best_in(Some(s))) {
        return Ok(h);
    }
    best_in(None).ok_or_else(|| {
        let accepting: Vec<HostFree> = hosts.iter().filter(|h| h.accepting).cloned().collect();
        let pooled = accepting.iter().fold((0u64, 0u64, 0u64), |(c, r, g), h| {
            (
                c + u64::from(h.cores),
                r + u64::from(h.ram_gb),
                g + u64::from(h.gpus),
            )
        });
        NoHost {
            pooled_would_fit: pooled.0 >= u64::from(need.cpu_cores)
                && pooled.1 >= u64::from(need.ram_gb)
                && pooled.2 >= u64::from(need.gpus),
            hosts: accepting,
        }
    })
}

/// Of `sizes` (any order), the largest that some host can take now, by cores, then memory,
/// then GPUs: what the request form offers as "the largest that fits now".
pub fn largest_fit<'a, T>(
    hosts: &[HostFree],
    sizes: &'a [T],
    amounts: impl Fn(&T) -> Amounts,
) -> Option<&'a T> {
    sizes
        .iter()
        .filter(|s| hosts.iter().any(|h| h.holds(&amounts(s))))
        .max_by_key(|s| {
            let a = amounts(s);
            (a.cpu_cores, a.ram_gb, a.gpus)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str, site: &str, cores: u32, ram_gb: u32, gpus: u32) -> HostFree {
        HostFree {
            name: name.into(),
            site: site.into(),
            cores,
            ram_gb,
            gpus,
            accepting: true,
        }
    }

    fn need(cpu_cores: u32, ram_gb: u32, gpus: u32) -> Amounts {
        Amounts {
            cpu_cores,
            ram_gb,
            gpus,
            ..Amounts::default()
        }
    }

    #[test]
    fn a_request_that_fits_the_pooled_total_but_no_host_is_refused_with_each_host() {
        let hosts = [host("a1", "A", 8, 64, 0), host("b1", "B", 8, 64, 0)];
        let e = place(&hosts, &need(12, 32, 0), None).unwrap_err();
        assert!(e.pooled_would_fit);
        assert_eq!(e.hosts.len(), 2);
        let text = e.describe(&need(12, 32, 0));
        assert!(text.contains("enough free in total"), "{text}");
        assert!(text.contains("a1 (A): 8 cores, 64 GB, 0 GPUs"), "{text}");
        assert!(text.contains("b1 (B): 8 cores"), "{text}");
        let too_big = place(&hosts, &need(32, 32, 0), None).unwrap_err();
        assert!(!too_big.pooled_would_fit);
        assert!(too_big
            .describe(&need(32, 32, 0))
            .starts_with("No host has"));
    }

    #[test]
    fn every_dimension_must_fit_on_the_same_host() {
        let hosts = [host("cpu", "A", 64, 8, 0), host("mem", "A", 2, 512, 0)];
        assert!(place(&hosts, &need(8, 64, 0), None).is_err());
        assert_eq!(place(&hosts, &need(2, 64, 0), None).unwrap().name, "mem");
        let gpu = [host("g", "A", 64, 512, 1)];
        assert!(place(&gpu, &need(1, 1, 2), None).is_err());
    }

    #[test]
    fn the_named_site_is_preferred_and_another_used_when_it_cannot() {
        let hosts = [host("a1", "A", 16, 64, 0), host("b1", "B", 16, 64, 0)];
        assert_eq!(place(&hosts, &need(4, 8, 0), Some("B")).unwrap().name, "b1");
        assert_eq!(place(&hosts, &need(4, 8, 0), Some("A")).unwrap().name, "a1");
        let small_b = [host("a1", "A", 16, 64, 0), host("b1", "B", 2, 8, 0)];
        assert_eq!(
            place(&small_b, &need(4, 8, 0), Some("B")).unwrap().name,
            "a1"
        );
        assert_eq!(
            place(&small_b, &need(4, 8, 0), Some("Nowhere"))
                .unwrap()
                .name,
            "a1"
        );
    }

    #[test]
    fn the_tightest_host_is_chosen_so_whole_hosts_stay_free_for_large_work() {
        let hosts = [
            host("gpu", "A", 32, 256, 4),
            host("big", "A", 64, 512, 0),
            host("small", "A", 8, 32, 0),
        ];
        // A CPU job never takes the GPU host while a CPU host can hold it.
        assert_eq!(place(&hosts, &need(4, 16, 0), None).unwrap().name, "small");
        assert_eq!(place(&hosts, &need(16, 64, 0), None).unwrap().name, "big");
        assert_eq!(place(&hosts, &need(4, 16, 1), None).unwrap().name, "gpu");
    }

    #[test]
    fn drained_hosts_take_nothing_new_and_are_not_counted() {
        let mut drained = host("d", "A", 64, 512, 4);
        drained.accepting = false;
        let hosts = [drained, host("s", "A", 2, 4, 0)];
        let e = place(&hosts, &need(4, 8, 0), None).unwrap_err();
        assert!(!e.pooled_would_fit);
        assert_eq!(e.hosts.len(), 1);
        assert!(largest_fit(&hosts, &[need(4, 8, 0)], |a| *a).is_none());
        let none = place(&hosts[..1], &need(1, 1, 0), None).unwrap_err();
        assert!(none
            .describe(&need(1, 1, 0))
            .contains("no host is taking new work"));
    }

    #[test]
    fn the_largest_size_that_fits_now_is_offered() {
        let hosts = [host("a1", "A", 8, 64, 0), host("b1", "B", 16, 32, 1)];
        let sizes = [
            ("small", need(2, 8, 0)),
            ("large", need(16, 64, 0)),
            ("medium", need(8, 32, 0)),
            ("gpu", need(16, 32, 1)),
        ];
        let best = largest_fit(&hosts, &sizes, |s| s.1).unwrap();
        assert_eq!(best.0, "gpu");
        let cpu_only = [host("a1", "A", 8, 64, 0)];
        assert_eq!(largest_fit(&cpu_only, &sizes, |s| s.1).unwrap().0, "medium");
        assert!(largest_fit(&[], &sizes, |s| s.1).is_none());
    }

    fn now(name: &str, site: &str, cores: u32, ram_gb: u32, gpus: u32) -> HostNow {
        HostNow {
            host: Host {
                name: name.into(),
                site: site.into(),
                cores,
                mhz_per_core: 2000,
                ram_gb,
                storage_gb: 0,
                gpus,
                alloc_cores: 0,
                alloc_ram_gb: 0,
                alloc_gpus: 0,
            },
            accepting: true,
            booked_by_others: 0,
        }
    }

    #[test]
    fn each_host_loses_what_is_placed_on_it_or_what_its_engine_says_when_more() {
        let mut hosts = [now("a", "A", 16, 64, 2), now("b", "B", 16, 64, 0)];
        hosts[1].host.alloc_cores = 10;
        let placed = [
            Placed {
                host: Some("a"),
                need: need(4, 16, 1),
            },
            Placed {
                host: Some("b"),
                need: need(2, 8, 0),
            },
        ];
        let free = free_per_host(&hosts, &placed);
        assert_eq!((free[0].cores, free[0].ram_gb, free[0].gpus), (12, 48, 1));
        // The engine's 10 cores include the portal's 2: the larger counts, not the sum.
        assert_eq!((free[1].cores, free[1].ram_gb), (6, 56));
        hosts[0].booked_by_others = 1;
        assert_eq!(free_per_host(&hosts, &placed)[0].gpus, 0);
        hosts[0].booked_by_others = 5;
        assert_eq!(free_per_host(&hosts, &placed)[0].gpus, 0);
    }

    #[test]
    fn resources_placed_before_hosts_were_recorded_still_take_room_somewhere() {
        let hosts = [now("a", "A", 8, 32, 0), now("b", "B", 16, 64, 0)];
        let placed = [
            Placed {
                host: None,
                need: need(12, 8, 0),
            },
            Placed {
                host: Some("gone"),
                need: need(6, 8, 0),
            },
        ];
        let free = free_per_host(&hosts, &placed);
        // The first only fits on b; the second fits on a (tightest) and is put there.
        assert_eq!(free[1].cores, 4);
        assert_eq!(free[0].cores, 2);
        let total: u32 = free.iter().map(|h| h.cores).sum();
        assert_eq!(total, 24 - 18);
    }

    #[test]
    fn devices_go_to_the_booking_project_first_and_never_twice() {
        let slots = [(0, None), (1, Some(7)), (2, Some(8)), (3, None)];
        assert_eq!(pick_devices(&slots, &[], 7, 2), [0, 1]);
        assert_eq!(pick_devices(&slots, &[], 9, 2), [0, 3]);
        assert_eq!(pick_devices(&slots, &[0], 9, 2), [3]);
        assert_eq!(pick_devices(&slots, &[0, 3], 7, 4), [1]);
        assert!(pick_devices(&slots, &[], 9, 0).is_empty());
    }

    #[test]
    fn sites_sum_their_accepting_hosts_and_name_the_most_on_one() {
        let mut free = free_per_host(
            &[
                now("a1", "A", 8, 32, 0),
                now("a2", "A", 4, 64, 2),
                now("b1", "B", 16, 16, 0),
            ],
            &[],
        );
        free[2].accepting = false;
        let sites = by_site(&free);
        assert_eq!(sites.len(), 1);
        assert_eq!(sites[0].site, "A");
        assert_eq!(
            (sites[0].cores, sites[0].ram_gb, sites[0].gpus),
            (12, 96, 2)
        );
        assert_eq!(sites[0].most_cores_on_one_host, 8);
        assert_eq!(sites[0].most_ram_gb_on_one_host, 64);
        take(&mut free, "a1", &need(8, 8, 0));
        assert_eq!(free[0].cores, 0);
        assert!(place(&free, &need(8, 8, 0), None).is_err());
    }
}
